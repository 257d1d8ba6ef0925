"""The fleet generator against a real Mosquitto: every message it claims is received."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devstack import MosquittoServer, free_port
from simulators.fleet.plan import plan_fleet
from telemetry.models import AgentStatus, ReadingBatch
from telemetry.registry import load_geography, load_registry
from telemetry.topics import parse_topic, status_subscription
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path_factory.mktemp("fleet-broker"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Subscriber:
    """Counts every readings and status message, checking each as the collector would."""

    def __init__(self, broker: MosquittoServer, keep_retained: bool = False) -> None:
        self.keep_retained = keep_retained  # earlier runs leave retained statuses behind
        self.lock = threading.Lock()
        self.batches: list[ReadingBatch] = []
        self.statuses: dict[str, list[AgentStatus]] = defaultdict(list)
        self.errors: list[str] = []
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"counter-{free_port()}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe([("energy/v1/+/+/readings", 1), (status_subscription(), 1)])
        assert subscribed.wait(10)

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:
        if msg.retain and not self.keep_retained:
            return
        try:
            topic = parse_topic(msg.topic)
            if topic.kind.value == "readings":
                batch = ReadingBatch.from_json(msg.payload)
                assert (batch.site, batch.agent) == (topic.site, topic.agent)
                with self.lock:
                    self.batches.append(batch)
            else:
                with self.lock:
                    self.statuses[topic.agent].append(AgentStatus.from_json(msg.payload))
        except Exception as exc:  # recorded, then asserted on in the test
            self.errors.append(f"{msg.topic}: {exc}")

    def readings(self) -> int:
        with self.lock:
            return sum(len(b.readings) for b in self.batches)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def run_fleet(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulators", "fleet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sent(out: str) -> tuple[int, int]:
    match = re.search(r"^SENT batches=(\d+) readings=(\d+)", out, re.MULTILINE)
    assert match, out
    return int(match.group(1)), int(match.group(2))


def test_every_claimed_message_arrives_and_the_config_accepts_it(broker, tmp_path: Path) -> None:
    sub = Subscriber(broker)
    config = tmp_path / "fleet.yaml"
    try:
        result = run_fleet(
            "--agents", "12", "--meters-per-agent", "7", "--interval", "0.2", "--cycles", "4",
            "--mqtt-url", broker.url, "--write-config", str(config), "--seed", "11",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        batches, readings = sent(result.stdout)
        assert (batches, readings) == (12 * 4, 12 * 4 * 7)
        wait_until(lambda: sub.readings() >= readings and len(sub.batches) >= batches, 15)
        wait_until(
            lambda: (
                all(any(s.state == "offline" for s in v) for v in sub.statuses.values())
                and len(sub.statuses) == 12
            ),
            15,
        )
    finally:
        sub.close()
    assert not sub.errors, sub.errors[:3]
    assert len(sub.batches) == batches and sub.readings() == readings
    # per-agent sequence numbers run 0, 1, 2, 3 without gaps or duplicates
    seqs: dict[str, list[int]] = defaultdict(list)
    for b in sub.batches:
        seqs[b.agent].append(b.seq)
    assert len(seqs) == 12
    assert all(sorted(s) == [0, 1, 2, 3] for s in seqs.values())
    # each agent said online first and offline at the end
    for agent, statuses in sub.statuses.items():
        assert statuses[0].state == "online" and statuses[-1].state == "offline", agent
        assert statuses[0].meters == 7
    # the written config loads, and knows every site/agent pair the fleet used
    registry = load_registry(config)
    assert len(registry.agents) == 12
    assert all(registry.knows(b.site, b.agent) for b in sub.batches)
    # and each site expects the meters it reported (the collector's per-site meter limit)
    meters: dict[str, set[str]] = defaultdict(set)
    for b in sub.batches:
        meters[b.site].update(r.meter for r in b.readings)
    expected = {s.id: s.expected_meters for s in registry.sites_file.sites}
    assert meters and all(expected[site] == len(m) for site, m in meters.items())
    # values are plausible, counters do not fall between an agent's batches
    last: dict[tuple[str, str], float] = {}
    for b in sorted(sub.batches, key=lambda b: (b.agent, b.seq)):
        for r in b.readings:
            counter = "energy_kwh" if "energy_kwh" in r.values else "volume_m3"
            key = (b.site, r.meter)
            assert r.values[counter] >= last.get(key, 0.0)
            last[key] = r.values[counter]


def test_retained_status(broker) -> None:
    """A late subscriber still sees each agent's retained status."""
    result = run_fleet("--agents", "3", "--meters-per-agent", "2", "--interval", "0.1",
                       "--cycles", "1", "--mqtt-url", broker.url, "--seed", "99")  # fmt: skip
    assert result.returncode == 0, result.stderr
    sub = Subscriber(broker, keep_retained=True)
    try:
        wait_until(lambda: len(sub.statuses) >= 3, 15)
    finally:
        sub.close()
    assert all(v[-1].state == "offline" for v in sub.statuses.values())


def test_each_agent_refreshes_its_status_while_it_publishes(broker) -> None:
    """As an edge agent does: the operators' page counts an agent whose last status is
    over two minutes old as not answering, so a fleet running for hours must refresh it."""
    sub = Subscriber(broker)
    try:
        result = run_fleet("--agents", "3", "--meters-per-agent", "1", "--interval", "0.2",
                           "--duration", "3", "--status-interval", "0.5",
                           "--mqtt-url", broker.url, "--seed", "7")  # fmt: skip
        assert result.returncode == 0, result.stderr
        wait_until(lambda: all(v and v[-1].state == "offline" for v in sub.statuses.values())
                   and len(sub.statuses) == 3, 15)  # fmt: skip
    finally:
        sub.close()
    for agent, seen in sub.statuses.items():
        online = [s.ts for s in seen if s.state == "online"]
        assert len(online) >= 4, (agent, len(online))  # 3 s at one per 0.5 s, from the start
        assert online == sorted(online) and online[-1] > online[0]


def test_last_will_when_killed(broker) -> None:
    sub = Subscriber(broker)
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators", "fleet", "--agents", "4", "--meters-per-agent", "2",
         "--interval", "0.2", "--mqtt-url", broker.url, "--seed", "123"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: len({b.agent for b in list(sub.batches)}) == 4, 15)
        proc.kill()  # no clean goodbye: the broker speaks the last will
        proc.wait(timeout=10)
        wait_until(
            lambda: (
                len(sub.statuses) == 4
                and all(v[-1].state == "offline" for v in sub.statuses.values())
            ),
            15,
        )
    finally:
        if proc.poll() is None:
            proc.kill()
        sub.close()
    wills = [v[-1] for v in sub.statuses.values()]
    assert all(w.ts is None for w in wills)  # the will carries `state` alone


def test_duration_and_rate_limit(broker) -> None:
    sub = Subscriber(broker)
    try:
        result = run_fleet(
            "--agents", "5", "--meters-per-agent", "10", "--interval", "0.01",
            "--duration", "2.5", "--rate-limit", "100", "--mqtt-url", broker.url, "--seed", "5",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        batches, readings = sent(result.stdout)
        assert batches > 0
        wait_until(lambda: sub.readings() >= readings, 15)
    finally:
        sub.close()
    assert sub.readings() == readings
    # 100 readings/s with at most one second's burst: 2.5 s cannot carry more than ~350
    assert readings <= 100 * 2.5 + 100 + 10


def test_agents_sharing_connections_each_publish_their_own_batches(broker) -> None:
    sub = Subscriber(broker)
    try:
        result = run_fleet(
            "--agents", "30", "--meters-per-agent", "2", "--interval", "0.5", "--cycles", "2",
            "--connections", "3", "--mqtt-url", broker.url, "--seed", "11",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        batches, readings = sent(result.stdout)
        wait_until(lambda: sub.readings() >= readings, 15)
    finally:
        sub.close()
    assert (batches, readings) == (60, 120)
    seqs = Counter((b.agent, b.seq) for b in sub.batches)
    plan = plan_fleet(30, 2, 11)
    assert set(seqs) == {(a.agent, seq) for a in plan for seq in (0, 1)}
    # a clean exit says offline for every agent, not only the connections' first ones
    assert {a for a, v in sub.statuses.items() if v[-1].state.value == "offline"} == {
        a.agent for a in plan
    }


@pytest.mark.usefixtures("processes")  # python -m simulators fleet
def test_unreachable_broker_is_named() -> None:
    port = free_port()
    result = run_fleet("--agents", "1", "--meters-per-agent", "1", "--interval", "1",
                       "--cycles", "1", "--mqtt-url", f"mqtt://127.0.0.1:{port}")  # fmt: skip
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr


def test_sites_spread_like_households() -> None:
    geo = load_geography()
    fleet = plan_fleet(2000, 1, seed=3, geography=geo)
    counts = Counter(a.district for a in fleet)
    total_households = sum(d.households for d in geo.districts.values())
    for code, district in geo.districts.items():
        expected = district.households / total_households
        assert abs(counts[code] / len(fleet) - expected) < 0.03, district.name_en
    assert all(a.dong in geo.dongs and geo.dongs[a.dong].district == a.district for a in fleet)
    assert len({a.dong for a in fleet}) > 60  # dongs are spread, not a handful
    assert plan_fleet(50, 3, seed=3) == plan_fleet(50, 3, seed=3)


def test_backfill_publishes_every_past_reading_in_order_and_the_present_goes_on(broker) -> None:
    """--backfill-to: each agent once per --interval simulated seconds from --start to the
    end, in time order; a real-time fleet --counters-from that start continues each
    counter where the past left it (no reset for the rollups to count)."""
    start, end = "2026-11-01T00:00:00+00:00", "2026-11-03T00:00:00+00:00"
    plan = ["--agents", "4", "--meters-per-agent", "2", "--seed", "7", "--per-dong", "0"]
    sub = Subscriber(broker)
    try:
        past = run_fleet(*plan, "--interval", "21600", "--start", start, "--backfill-to", end,
                         "--step", "3600", "--mqtt-url", broker.url)  # fmt: skip
        assert past.returncode == 0, past.stderr
        assert sent(past.stdout) == (4 * 8, 4 * 8 * 2)  # two days of 6-hour reads
        wait_until(lambda: sub.readings() >= 64, 15)
        now = run_fleet(*plan, "--interval", "1", "--cycles", "1", "--counters-from", start,
                        "--step", "3600", "--mqtt-url", broker.url)  # fmt: skip
        assert now.returncode == 0, now.stderr
        wait_until(lambda: sub.readings() >= 72, 15)
    finally:
        sub.close()
    assert not sub.errors
    series: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for b in sub.batches:
        for r in b.readings:
            counter = next(v for k, v in r.values.items() if k.endswith(("_kwh", "_m3")))
            series[(b.agent, r.meter)].append((r.ts.timestamp(), counter))
    for key, points in series.items():
        times = [t for t, _v in points]
        assert times == sorted(times), key
        assert min(times) >= 1761955200 and len(points) == 9, key  # 8 past + 1 now
        values = [v for _t, v in points]
        assert values == sorted(values), (key, values)  # counters only grow


def test_a_floor_of_sites_in_every_dong() -> None:
    geo = load_geography()
    fleet = plan_fleet(96 * 3 + 40, 5, seed=1, geography=geo, per_dong=3)
    per_dong = Counter(a.dong for a in fleet)
    assert set(per_dong) == set(geo.dongs) and min(per_dong.values()) >= 3


@pytest.mark.usefixtures("processes")  # python -m simulators
def test_fleet_plan_after_a_base_sites_file(tmp_path: Path) -> None:
    """`fleet-plan --base`: the demo's sites first, then the fleet's, one registry."""
    target = tmp_path / "elsewhere" / "city.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "simulators", "fleet-plan", "--agents", "100",
         "--meters-per-agent", "5", "--per-dong", "1", "--base", "config/sites/demo.yaml",
         "--write-config", str(target)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    demo = load_registry("config/sites/demo.yaml")
    city = load_registry(target)
    assert list(city.sites)[: len(demo.sites)] == list(demo.sites)
    assert len(city.sites) == len(demo.sites) + 100
    # the demo's households and units, named relative to it, are found from elsewhere
    assert city.households.households.keys() == demo.households.households.keys()
    assert city.units.keys() == demo.units.keys() and city.units


def test_backfill_stagger_keeps_each_rounds_reads_together(broker) -> None:
    sub = Subscriber(broker)
    try:
        past = run_fleet("--agents", "20", "--meters-per-agent", "1", "--interval", "86400",
                         "--stagger", "600", "--start", "2026-11-01T00:00:00+00:00",
                         "--backfill-to", "2026-11-04T00:00:00+00:00", "--mqtt-url", broker.url)  # fmt: skip
        assert past.returncode == 0, past.stderr
        wait_until(lambda: sub.readings() >= 60, 15)
    finally:
        sub.close()
    offsets = {(b.readings[0].ts.timestamp() - 1761955200) % 86400 for b in sub.batches}
    assert len(sub.batches) == 60 and max(offsets) < 600


@pytest.mark.usefixtures("processes")  # python -m simulators
def test_agent_logins_publish_under_each_agents_own_account(tmp_path: Path) -> None:
    """--agent-logins: each agent logs in as itself, so a broker with per-agent accounts
    and ACLs (deploy/mosquitto, the compose city profile) takes every agent's batches."""
    from simulators.fleet.registry_file import write_sites_file
    from telemetry.broker_acl import registry_acl
    from tests.security.conftest import make_password_file

    sites = tmp_path / "fleet.yaml"
    write_sites_file(sites, plan_fleet(3, 1, 5), "agent logins")
    registry = load_registry(sites)
    agents = [a.agent for a in plan_fleet(3, 1, 5)]
    make_password_file(
        tmp_path / "passwd", {"collector": "c-pass", **dict.fromkeys(agents, "a-pass")}
    )
    (tmp_path / "acl").write_text(registry_acl(registry))
    conf = (f"listener {{port}} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {tmp_path / 'passwd'}\nacl_file {tmp_path / 'acl'}\n")  # fmt: skip
    server = MosquittoServer(tmp_path / "broker", conf_text=conf)
    server.start()
    got: list[str] = []
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                         client_id="counter", protocol=MQTTProtocolVersion.MQTTv5)  # fmt: skip
    client.username_pw_set("collector", "c-pass")
    client.on_message = lambda _c, _u, msg: got.append(msg.topic)
    try:
        subscribed = threading.Event()
        client.on_subscribe = lambda *_a: subscribed.set()
        client.connect(server.host, server.port)
        client.loop_start()
        client.subscribe("energy/v1/+/+/readings", 1)
        assert subscribed.wait(10)
        env = {**os.environ, "ENERGY_MQTT_PASSWORD": "a-pass"}
        done = subprocess.run(
            [sys.executable, "-m", "simulators", "fleet", "--agents", "3", "--meters-per-agent",
             "1", "--seed", "5", "--interval", "0.1", "--cycles", "1", "--agent-logins",
             "--mqtt-url", server.url],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_until(lambda: len(got) >= 3, 15)
    finally:
        client.loop_stop()
        client.disconnect()
        server.stop()
    assert sorted(t.split("/")[3] for t in got) == sorted(agents)
