"""Read access to InfluxDB, split so that public routes cannot reach private data.

`PublicStore` is bound at start-up to the public database (and may use an
InfluxDB token that can read only it); public routes receive it by dependency
and have no other handle on InfluxDB. `PrivateStore` (raw readings and the
private rollups) is given only to facility, household and operator routes.
Neither store takes a database name per query, so no route can choose one.
"""

from __future__ import annotations

from typing import Any

from telemetry.influxql import InfluxQL, Series


class _Store:
    def __init__(self, ql: InfluxQL, db: str) -> None:
        self._ql = ql
        self._db = db

    def rows(self, q: str) -> list[dict[str, Any]]:
        """Rows of one InfluxQL statement, series tags merged in, times in epoch ms."""
        return self._ql.rows(q, self._db, epoch="ms")

    def series(self, q: str) -> list[Series]:
        """Series of one statement (with their measurement names), times in epoch ms."""
        return self._ql.series(q, self._db, epoch="ms")

    @property
    def database(self) -> str:
        return self._db

    def close(self) -> None:
        self._ql.close()


class PublicStore(_Store):
    """The public bucket (aggregates that passed the privacy rule) and nothing else."""


class PrivateStore(_Store):
    """The private bucket: raw readings, per-meter rollups, agent status."""
