"""An agent's sequence gaps and rejected messages, end to end: batches published to a real
Mosquitto, counted by a real collector into a real InfluxDB, read on /operations (its JSON
stream and its page). A malformed topic counts in the collector's figures, under no agent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from devstack import InfluxServer, MosquittoServer
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.topics import readings_topic
from tests.collector.conftest import (  # noqa: F401 (fixtures)
    broker,
    collectors,
    db,
    influx_srv,
    start_collector,
)
from tests.collector.helpers import (
    AGENT,
    AGENT2,
    REPO,
    SITE,
    SITE2,
    Publisher,
    StartCollector,
    make_batch,
    recent_t0,
)
from tests.facility.conftest import staff_app
from tests.staff.people import staff_member
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def operations_app(tmp_path: Path, influx_srv: InfluxServer, db: str) -> FastAPI:  # noqa: F811
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    upgrade(url)
    sites = REPO / "config" / "sites" / "demo.yaml"  # the collector's default registry
    return staff_app(influx_srv.url, db, f"{db}_public", sites, make_engine(url))


def publish_trouble(pub: Publisher) -> int:
    """A gap of three batches and three refused messages from AGENT, a clean run from AGENT2,
    one message on a malformed topic (AGENT's, under a site id that cannot be); returns how
    many messages went out."""
    t0 = recent_t0()
    sent = [(readings_topic(SITE, AGENT), make_batch(SITE, AGENT, seq, 2, t0).to_json())
            for seq in (0, 1, 5)]  # fmt: skip
    sent += [(readings_topic(SITE2, AGENT2), make_batch(SITE2, AGENT2, seq, 2, t0).to_json())
             for seq in (0, 1)]  # fmt: skip
    sent += [
        (readings_topic(SITE, AGENT), b"{not json"),
        (readings_topic(SITE, AGENT), b"{not json either"),
        (readings_topic(SITE, AGENT), b'{"schema": "energy.readings.v1", "site": "hanam-ic"}'),
        (f"energy/v1/UPPER/{AGENT}/readings", b"{}"),  # a site id is lower case
    ]
    for topic, payload in sent:
        pub.publish(topic, payload)
    return len(sent)


def fleet_event(app: FastAPI) -> dict:
    operator = staff_member(app, "kim", "operator")
    with operator.client.stream("GET", "/operations/stream?max_events=1") as r:
        body = "".join(r.iter_text())
    return json.loads(next(x[6:] for x in body.splitlines() if x.startswith("data: ")))


def test_gaps_and_rejections_of_one_agent_reach_the_operations_page(
    broker: MosquittoServer,  # noqa: F811
    start_collector: StartCollector,  # noqa: F811
    operations_app: FastAPI,
) -> None:
    col = start_collector("figures")
    pub = Publisher(broker.host, broker.port)
    sent = publish_trouble(pub)
    wait_until(lambda: col.metrics().get("collector_acks_total", 0) >= sent, 30, "every ack")
    assert col.terminate() == 0  # on the way out it writes its figures
    pub.close()
    event = fleet_event(operations_app)
    agents = {a["agent"]: a for a in event["agents"]}
    assert agents[AGENT]["seq_gaps_hour"] == 3
    assert agents[AGENT]["rejected_hour"] == {"bad_json": 2, "schema": 1}
    assert (agents[AGENT2]["seq_gaps_hour"], agents[AGENT2]["rejected_hour"]) == (0, {})
    # The malformed topic is in the collector's figures, under no agent.
    assert event["rejected"] == {"bad_json": 2, "schema": 1, "bad_topic": 1}
    assert sum(sum(a["rejected_hour"].values()) for a in agents.values()) == 3
    page = staff_member(operations_app, "kim", "operator").get("/operations?lang=en").text
    row = re.search(rf'data-agent="{AGENT}" data-site="{SITE}">(.*?)</tr>', page, re.S)
    assert row is not None
    assert 'data-fig="gaps">3<' in row[1] and 'data-fig="rejected">bad_json 2, schema 1<' in row[1]
