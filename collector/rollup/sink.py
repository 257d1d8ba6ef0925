"""Writes rollup points with influxdb-client's write API (ms precision), pipelined.

`write` hands a batch to one writer thread, which writes in the order given, and
returns: the pass computes its next figures while InfluxDB stores the last ones
(waiting for each write was a tenth of a steady pass). `flush` waits for every
batch handed so far and raises the first failure. It runs before every query of
the rollup's reader (cli.build_engine: `InfluxQL.before_query`), so a read sees
what the pass wrote, and before each cursor (engine.py), so nothing is marked
done unstored.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

BATCH = 5_000


class Sink:
    def __init__(self, url: str, token: str, org: str) -> None:
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=30_000)
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollup-sink")
        self._pending: list[Future[None]] = []
        self.written = 0

    def write(self, bucket: str, points: list[str]) -> None:
        """Queued for the writer thread; stored once `flush` returns."""
        if points:
            self._pending.append(self._writer.submit(self._store, bucket, list(points)))

    def flush(self) -> None:
        """Wait for every write handed so far; raise the first that failed."""
        failed = self._wait()
        if failed:
            raise failed[0]

    def drain(self) -> None:
        """Wait for every write handed so far, failed or not (a pass given up: none of
        its writes may land after the next pass's)."""
        self._wait()

    def _wait(self) -> list[BaseException]:
        pending, self._pending = self._pending, []
        return [e for e in (f.exception() for f in pending) if e is not None]

    def _store(self, bucket: str, points: list[str]) -> None:
        for i in range(0, len(points), BATCH):
            chunk = points[i : i + BATCH]
            body = "\n".join(chunk)  # one string: no per-line work in the client
            self._write.write(bucket=bucket, record=body, write_precision=WritePrecision.MS)
            self.written += len(chunk)

    def close(self) -> None:
        self.drain()
        self._writer.shutdown()
        self._client.close()
