"""Where rules read from: the private store over InfluxQL, and the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telemetry.influxql import InfluxQL
from telemetry.registry import Registry


@dataclass
class Store:
    ql: InfluxQL
    bucket: str
    registry: Registry

    def rows(self, q: str) -> list[dict[str, Any]]:
        return self.ql.rows(q, self.bucket, epoch="ms")
