"""Property: malformed payloads mixed with valid ones never stop the stream.

Every valid reading is stored; every malformed message is counted under the
reason it was built to trigger, both in the metrics and in the `rejected`
measurement. One collector (a real process) serves all examples; counts are
compared cumulatively.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack import InfluxServer, MosquittoServer
from telemetry.ids import ID_PATTERN, ID_RE
from telemetry.topics import readings_topic
from tests.collector.helpers import (
    AGENT,
    AGENT2,
    SITE,
    SITE2,
    CollectorProc,
    Publisher,
    demo_config,
    influx_rows,
    stored_count,
)
from tests.support.waiting import wait_until

MAX_PAYLOAD = 4096
_ids = itertools.count()


@dataclass
class Item:
    kind: str  # "valid" or the Reason it must be rejected with
    topic: str
    payload: bytes
    readings: int = 0


def _reading(meter: str, ts: datetime, value: float) -> dict:
    return {
        "meter": meter,
        "utility": "electricity",
        "ts": ts.isoformat(),
        "values": {"power_kw": value},
    }


def _batch(readings: list[dict], site: str = SITE, agent: str = AGENT) -> dict:
    return {
        "schema": "energy.readings.v1",
        "site": site,
        "agent": agent,
        "seq": next(_ids),
        "readings": readings,
    }


def _fresh_readings(values: list[float], ts: datetime | None = None) -> list[dict]:
    now = datetime.now(UTC)
    return [_reading(f"p{next(_ids)}", ts or now - timedelta(minutes=5), v) for v in values]


def _enc(doc: object) -> bytes:
    return json.dumps(doc).encode()


finite = st.floats(allow_nan=False, allow_infinity=False)
values = st.lists(finite, min_size=1, max_size=5)
RT = readings_topic(SITE, AGENT)


@st.composite
def valid(draw: st.DrawFn) -> Item:
    v = draw(values)
    return Item("valid", RT, _enc(_batch(_fresh_readings(v))), len(v))


@st.composite
def schema_violation(draw: st.DrawFn) -> Item:
    doc = _batch(_fresh_readings([1.0]))
    r = doc["readings"][0]
    mutation = draw(
        st.sampled_from(
            [
                "drop_site",
                "drop_seq",
                "drop_readings",
                "neg_seq",
                "empty_readings",
                "schema_id",
                "extra_key",
                "empty_values",
                "unknown_field",
                "utility",
                "quality",
                "naive_ts",
                "bool_value",
                "string_value",
                "not_object",
            ]
        )
    )
    match mutation:
        case "drop_site" | "drop_seq" | "drop_readings":
            del doc[mutation.removeprefix("drop_")]
        case "neg_seq":
            doc["seq"] = -draw(st.integers(1, 10**9))
        case "empty_readings":
            doc["readings"] = []
        case "schema_id":
            doc["schema"] = draw(st.text(max_size=20).filter(lambda s: s != "energy.readings.v1"))
        case "extra_key":
            doc["extra"] = draw(st.integers())
        case "empty_values":
            r["values"] = {}
        case "unknown_field":
            r["values"] = {"flux_capacitance": 1.0}
        case "utility":
            r["utility"] = "steam"
        case "quality":
            r["quality"] = "great"
        case "naive_ts":
            r["ts"] = "2026-01-01T00:00:00"
        case "bool_value":
            r["values"] = {"power_kw": True}
        case "string_value":
            r["values"] = {"power_kw": draw(st.text(max_size=10))}
        case "not_object":
            return Item(
                "schema", RT, draw(st.sampled_from([b"1", b"[]", b"null", b'"x"', b"true"]))
            )
    return Item("schema", RT, _enc(doc))


@st.composite
def bad_meter(draw: st.DrawFn) -> Item:
    meter = draw(st.text(max_size=80).filter(lambda s: not ID_RE.match(s)))
    doc = _batch([_reading(meter, datetime.now(UTC), 1.0)])
    return Item("bad_meter_id", RT, _enc(doc))


ids = st.from_regex(ID_PATTERN, fullmatch=True)


@st.composite
def wrong_place(draw: st.DrawFn) -> Item:
    kind = draw(st.sampled_from(["topic_mismatch", "unknown_site", "unknown_agent", "bad_topic"]))
    payload = _enc(_batch(_fresh_readings([1.0])))
    match kind:
        case "topic_mismatch":
            topic = readings_topic(SITE2, AGENT2)
        case "unknown_site":
            topic = readings_topic(
                draw(ids.filter(lambda s: s not in {SITE, SITE2, "pungam-lh-apt", "munheung-apt"})),
                AGENT,
            )
        case "unknown_agent":
            topic = readings_topic(SITE, draw(ids.filter(lambda s: s not in {AGENT, "hanam-gw-b"})))
        case _:
            topic = f"energy/v1/{draw(st.sampled_from(['UPPER', 'a b', '-x']))}/{AGENT}/readings"
    return Item(kind, topic, payload)


@st.composite
def bad_time(draw: st.DrawFn) -> Item:
    now = datetime.now(UTC)
    if draw(st.booleans()):
        ts, kind = now + timedelta(days=draw(st.floats(1, 3000))), "ts_future"
    else:
        ts, kind = now - timedelta(days=draw(st.floats(100, 9000))), "ts_too_old"
    return Item(kind, RT, _enc(_batch(_fresh_readings([1.0], ts))))


@st.composite
def garbage(draw: st.DrawFn) -> Item:
    if draw(st.booleans()):
        return Item("bad_json", RT, b"{{" + draw(st.binary(max_size=200)))
    extra = draw(st.integers(1, 2000))
    return Item("oversize", RT, b"{" + b" " * (MAX_PAYLOAD + extra) + b"}")


items = st.one_of(
    valid(), valid(), schema_violation(), bad_meter(), wrong_place(), bad_time(), garbage()
)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, influx_srv: InfluxServer) -> Iterator[tuple]:
    work = tmp_path_factory.mktemp("poison")
    broker = MosquittoServer(work / "mosquitto").start()
    db = "poison"
    influx_srv.create_database(db)
    # Every valid item has new meter ids: room for all of them.
    config = demo_config(work, meter_margin=1_000_000)
    col = CollectorProc(
        work,
        broker.url,
        influx_srv.url,
        db,
        "poison",
        ["--max-payload-bytes", str(MAX_PAYLOAD), "--config", str(config)],
    )
    col.start()
    pub = Publisher(broker.host, broker.port)
    try:
        yield broker, influx_srv, db, col, pub, Counter()
    finally:
        pub.close()
        col.kill()
        broker.stop()


@pytest.mark.timeout(150)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(items, min_size=150, max_size=300))
def test_poison_never_blocks_and_every_reason_is_counted(rig: tuple, batch: list[Item]) -> None:
    _broker, influx, db, col, pub, expected = rig
    infos = [pub.client.publish(i.topic, i.payload, qos=1) for i in batch]
    for info in infos:
        info.wait_for_publish(10)
    expected.update(i.kind for i in batch)
    expected["readings"] += sum(i.readings for i in batch)
    rejected_total = sum(n for k, n in expected.items() if k not in ("valid", "readings"))

    def store_counts() -> dict[str, int]:
        rows = influx_rows(
            influx.url, 'SELECT count("count") FROM "rejected" GROUP BY "reason"', db
        )
        return {r["reason"]: int(r["count"]) for r in rows}

    wait_until(
        lambda: (
            sum(store_counts().values()) >= rejected_total
            and stored_count(influx.url, db) >= expected["readings"]
        ),
        30,
        f"{rejected_total} rejections and {expected['readings']} readings stored\n{col.log_tail()}",
    )
    assert col.alive(), col.log_tail()
    assert stored_count(influx.url, db) == expected["readings"]
    want = {k: n for k, n in expected.items() if k not in ("valid", "readings")}
    assert store_counts() == want
    metrics = col.metrics()
    assert {
        k: int(metrics.get(f'collector_rejected_total{{reason="{k}"}}', 0)) for k in want
    } == want
