"""Writes rollup points with influxdb-client's write API (ms precision)."""

from __future__ import annotations

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

BATCH = 5_000


class Sink:
    def __init__(self, url: str, token: str, org: str) -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=30_000)
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self.written = 0

    def write(self, bucket: str, points: list[str]) -> None:
        """Synchronous: returns only when InfluxDB stored every point (or raises)."""
        for i in range(0, len(points), BATCH):
            chunk = points[i : i + BATCH]
            body = "\n".join(chunk)  # one string: no per-line work in the client
            self._write.write(bucket=bucket, record=body, write_precision=WritePrecision.MS)
            self.written += len(chunk)

    def close(self) -> None:
        self._client.close()
