"""Synchronous InfluxDB writes with retry, and a split for lines InfluxDB refuses.

Transient failures (unreachable, 5xx, auth, missing database) are retried with
backoff for as long as it takes: the caller holds the MQTT acks meanwhile, so
the broker keeps the backlog. A 400 (field type conflict, unparsable line) is
permanent for some lines only: the batch is split in halves until the refused
lines are isolated. Re-writing the good halves is harmless, since a point is
identified by measurement, tags and timestamp.

Imported history (`<utility>_interval`, `utility_cost`) goes to its own bucket
(the raw database's policy `imported`, telemetry/influx_schema.py), so it is
kept as long as the rollups; everything else to the raw bucket. A retry
re-writes both parts, which is as harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from collector import metrics as m
from telemetry.influx_schema import kept_as_handed, kept_as_imported

log = logging.getLogger(__name__)

PRECISIONS = {"ms": WritePrecision.MS, "ns": WritePrecision.NS}
MAX_BACKOFF_S = 10.0


class WriteAborted(RuntimeError):
    """Shutdown came while InfluxDB was still failing; nothing was acknowledged."""


class _Permanent(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RefusedLine:
    line: str
    error: str


class InfluxWriter:
    def __init__(
        self,
        url: str,
        token: str,
        org: str,
        bucket: str,
        timeout_s: float = 30.0,
        imported_bucket: str | None = None,
        handed_bucket: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.imported_bucket = imported_bucket or bucket
        self.handed_bucket = handed_bucket or bucket
        self.org = org
        self.client = InfluxDBClient(
            url=url,
            token=token,
            org=org,
            enable_gzip=True,
            timeout=int(timeout_s * 1000),
            retries=False,
        )
        self.api = self.client.write_api(write_options=SYNCHRONOUS)
        self.healthy = True
        self.last_error = ""

    def write(self, lines: list[str], precision: str, abort: threading.Event) -> list[RefusedLine]:
        """Store `lines`; return the ones InfluxDB refused for good. Retries until done."""
        delay = 0.5
        while True:
            try:
                refused = [
                    r
                    for bucket, part in self._by_bucket(lines)
                    for r in self._write_split(part, precision, bucket)
                ]
            except Exception as exc:  # any transport or server failure: try again
                self._failed(exc)
                if abort.wait(delay):
                    raise WriteAborted(self.last_error) from exc
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            self.healthy = True
            m.INFLUX_UP.set(1)
            return refused

    def _failed(self, exc: Exception) -> None:
        self.healthy = False
        self.last_error = _describe(exc)
        m.INFLUX_UP.set(0)
        m.WRITE_BATCHES.labels("error").inc()
        log.warning("InfluxDB write failed, acks held, retrying: %s", self.last_error)

    def _by_bucket(self, lines: list[str]) -> list[tuple[str, list[str]]]:
        """The lines as (bucket, lines) parts, none empty: imported history and the
        readings handed to the rollup apart."""
        if self.imported_bucket == self.handed_bucket == self.bucket:
            return [(self.bucket, lines)]
        parts: dict[str, list[str]] = {}
        for line in lines:
            if kept_as_imported(line):
                bucket = self.imported_bucket
            elif kept_as_handed(line):
                bucket = self.handed_bucket
            else:
                bucket = self.bucket
            parts.setdefault(bucket, []).append(line)
        # Handed readings before the markers that name them (collector/arrivals.py).
        return sorted(parts.items(), key=lambda part: part[0] != self.handed_bucket)

    def _write_split(self, lines: list[str], precision: str, bucket: str) -> list[RefusedLine]:
        try:
            self._post(lines, precision, bucket)
            return []
        except _Permanent as exc:
            if len(lines) == 1:
                return [RefusedLine(lines[0], exc.detail)]
            half = len(lines) // 2
            log.warning("InfluxDB refused part of %d lines (%s); splitting", len(lines), exc)
            return self._write_split(lines[:half], precision, bucket) + self._write_split(
                lines[half:], precision, bucket
            )

    def _post(self, lines: list[str], precision: str, bucket: str) -> None:
        started = time.perf_counter()
        try:
            self.api.write(
                bucket=bucket,
                org=self.org,
                # One string: given a list, the client walks and type-checks each line.
                record="\n".join(lines),
                write_precision=PRECISIONS[precision],
            )
        except ApiException as exc:
            # 422: InfluxDB 2.x's partial write (points beyond retention dropped).
            if exc.status in (400, 413, 422):
                raise _Permanent(_describe(exc)) from exc
            raise
        m.WRITE_SECONDS.observe(time.perf_counter() - started)
        m.WRITE_BATCHES.labels("ok").inc()

    def close(self) -> None:
        self.client.close()


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApiException):
        body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
        return f"HTTP {exc.status}: {(body or exc.reason or '').strip()[:300]}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"
