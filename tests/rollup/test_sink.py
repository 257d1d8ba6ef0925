"""The rollup's pipelined sink (sink.py) against a real InfluxDB: writes land in the
order given, a failure is raised by the next flush, and a read through an InfluxQL
reader hooked to the sink sees every write handed before it."""

from __future__ import annotations

import pytest

from collector.rollup.sink import Sink
from devstack import InfluxServer
from telemetry.influxql import InfluxQL, InfluxQueryError
from tests.rollup.conftest import fresh_db


def _count(ql: InfluxQL, db: str) -> int:
    rows = ql.rows("SELECT count(v) FROM m", db)
    return int(rows[0]["count"]) if rows else 0


def test_writes_land_in_the_order_given(rollup_influx: InfluxServer) -> None:
    db = fresh_db(rollup_influx, "sink")
    sink = Sink(rollup_influx.url, "", "gwangju")
    for v in range(20):  # the same point rewritten: the last write must win
        sink.write(db, [f"m,k=a v={v} 1000"])
    sink.flush()
    ql = InfluxQL(rollup_influx.url)
    assert ql.rows("SELECT v FROM m", db)[0]["v"] == 19
    sink.close()


def test_a_failed_write_is_raised_by_the_next_flush_once(rollup_influx: InfluxServer) -> None:
    db = fresh_db(rollup_influx, "sink")
    sink = Sink(rollup_influx.url, "", "gwangju")
    sink.write(db, ["m,k=a v=1 1000", "this is not line protocol"])
    sink.write(db, ["m,k=b v=2 1000"])
    with pytest.raises(Exception, match=r"400|unable to parse"):
        sink.flush()
    sink.flush()  # raised once: the pass that failed is over
    sink.write(db, ["m,k=c v=3 1000"])
    sink.drain()
    sink.close()


def test_a_read_waits_for_every_write_handed_before_it(rollup_influx: InfluxServer) -> None:
    db = fresh_db(rollup_influx, "sink")
    sink = Sink(rollup_influx.url, "", "gwangju")
    ql = InfluxQL(rollup_influx.url, timeout_s=60, before_query=sink.flush)
    points = [f"m,k=p{i} v={i} {1000 + i}" for i in range(30_000)]
    sink.write(db, points)
    assert _count(ql, db) == len(points)  # sent while the write was in flight
    sink.write(db, ["not line protocol either"])
    with pytest.raises(Exception, match=r"400|unable to parse") as raised:
        _count(ql, db)
    assert not isinstance(raised.value, InfluxQueryError)  # the write's failure, not the read's
    sink.close()
