"""The devstack services are real: data goes through real processes and ports."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

import devstack.errors
from devstack import InfluxServer, MissingBinary, MosquittoServer, StartupError
from tests.support.waiting import true_within

SHARED_SUB = "$share/collectors/energy/v1/+/+/readings"
WAIT = 10.0  # generous upper bound for any single wait; tests finish far sooner


# --- helpers -------------------------------------------------------------------


def influx_client(server: InfluxServer) -> InfluxDBClient:
    # The same client settings the collector uses against production.
    return InfluxDBClient(
        url=server.url, token="dev:dev", org="gwangju", enable_gzip=True, timeout=10_000
    )


def rows(result: dict[str, Any]) -> list[list[Any]]:
    series = result["results"][0].get("series", [])
    return [row for s in series for row in s["values"]]


class Subscriber:
    """A paho 2.x MQTT v5 client that records every message it receives."""

    def __init__(
        self,
        broker: MosquittoServer,
        client_id: str = "",
        clean_start: bool = True,
        session_expiry: int | None = None,
    ) -> None:
        self.broker = broker
        self.clean_start = clean_start
        self.session_expiry = session_expiry
        self.messages: list[mqtt.MQTTMessage] = []
        self.session_present: bool | None = None
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self.granted: list[ReasonCode] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def connect(self) -> Subscriber:
        props = None
        if self.session_expiry is not None:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.session_expiry
        self._connected.clear()
        self.client.connect(
            self.broker.host,
            self.broker.port,
            keepalive=10,
            clean_start=self.clean_start,
            properties=props,
        )
        self.client.loop_start()
        assert self._connected.wait(WAIT), "no CONNACK"
        return self

    def subscribe(self, topic: str) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self._subscribed.wait(WAIT), "no SUBACK"
        assert [code.value for code in self.granted] == [1], f"SUBACK refused: {self.granted}"

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, count: int, timeout: float = WAIT) -> bool:
        return true_within(lambda: len(self.messages) >= count, timeout, 0.02)

    def payloads(self) -> list[bytes]:
        with self._lock:
            return [m.payload for m in self.messages]

    def _on_connect(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _props: Properties | None,
    ) -> None:
        self.session_present = flags.session_present
        if not reason_code.is_failure:
            self._connected.set()

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _mid: int,
        granted: list[ReasonCode],
        _props: Properties | None,
    ) -> None:
        self.granted = list(granted)
        self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(message)


def publish_all(broker: MosquittoServer, items: list[tuple[str, bytes]]) -> None:
    """Publish at QoS 1 and return only once the broker has acknowledged every message."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port, keepalive=10)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in items]
        for info in infos:
            info.wait_for_publish(WAIT)
            assert info.is_published(), "no PUBACK"
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def subscribers() -> Iterator[list[Subscriber]]:
    """Collects subscribers made in a test and disconnects them afterwards."""
    made: list[Subscriber] = []
    yield made
    for sub in made:
        sub.disconnect()


@pytest.fixture
def own_influx(tmp_path: Path) -> Iterator[InfluxServer]:
    """A private instance: stopping the session one would disturb other tests."""
    with InfluxServer(tmp_path / "influx") as server:
        yield server


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A private broker: restarting the session one would cut other tests' clients."""
    with MosquittoServer(tmp_path / "broker") as server:
        yield server


# --- InfluxDB through nginx ------------------------------------------------------


def test_v2_write_reads_back_over_influxql(influx: InfluxServer, influx_db: str) -> None:
    ts_ms = 1_700_000_000_123
    point = (
        Point("energy_reading")
        .tag("meter", "m-001")
        .field("kwh", 1234.5678)
        .time(ts_ms, WritePrecision.MS)
    )
    with influx_client(influx) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket=influx_db, record=point, write_precision=WritePrecision.MS
        )

    result = influx.query('SELECT "kwh", "meter" FROM "energy_reading"', db=influx_db, epoch="ms")

    assert rows(result) == [[ts_ms, 1234.5678, "m-001"]]


def test_5000_line_batch_is_stored_whole(influx: InfluxServer, influx_db: str) -> None:
    rng = random.Random(7)
    base_ms = 1_700_000_000_000
    lines = [
        f"energy_reading,meter=m-{i % 50:03d} kwh={rng.uniform(0, 1e6)!r} {base_ms + i}"
        for i in range(5000)
    ]
    with influx_client(influx) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket=influx_db, record=lines, write_precision=WritePrecision.MS
        )

    counted = influx.query('SELECT count("kwh") FROM "energy_reading"', db=influx_db)
    # ~300 kB of JSON back through nginx: large responses must not need a temp file.
    everything = influx.query('SELECT "kwh" FROM "energy_reading"', db=influx_db, epoch="ms")

    assert rows(counted)[0][1] == 5000
    assert [row[0] for row in rows(everything)] == [base_ms + i for i in range(5000)]


def test_us_precision_is_translated_for_influxd_1_6(influx: InfluxServer, influx_db: str) -> None:
    # influxd 1.6 silently reads precision=us as nanoseconds; nginx maps it to u.
    ts_us = 1_700_000_000_123_456
    with influx_client(influx) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket=influx_db, record=f"p v=1 {ts_us}", write_precision=WritePrecision.US
        )

    result = influx.query('SELECT "v" FROM "p"', db=influx_db, epoch="u")

    assert rows(result) == [[ts_us, 1]]


def test_influxd_outage_is_5xx_and_data_survives(own_influx: InfluxServer) -> None:
    server = own_influx
    server.create_database("energy")
    with influx_client(server) as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write(
            bucket="energy", record="r v=1 1700000000000", write_precision=WritePrecision.MS
        )

        server.stop_influxd()
        try:
            with pytest.raises(ApiException) as failed:
                write.write(
                    bucket="energy",
                    record="r v=2 1700000001000",
                    write_precision=WritePrecision.MS,
                )
        finally:
            server.start_influxd()

        assert 500 <= failed.value.status < 600
        write.write(
            bucket="energy", record="r v=3 1700000002000", write_precision=WritePrecision.MS
        )

    result = server.query('SELECT "v" FROM "r"', db="energy", epoch="ms")
    assert rows(result) == [[1_700_000_000_000, 1], [1_700_000_002_000, 3]]


# --- Mosquitto -------------------------------------------------------------------


def test_qos1_message_reaches_shared_subscriber_intact(
    mosquitto: MosquittoServer, subscribers: list[Subscriber]
) -> None:
    sub = Subscriber(mosquitto).connect()
    subscribers.append(sub)
    # A group of its own: on the session broker, another test's collector may have
    # left a persistent member of "collectors" that takes its round-robin share.
    sub.subscribe(SHARED_SUB.replace("/collectors/", "/intact/"))
    payload = json.dumps(
        {"meter": "m-001", "kwh": 12.5, "note": "광주 태양광"}, ensure_ascii=False
    ).encode()

    publish_all(mosquitto, [("energy/v1/site-a/agent-1/readings", payload)])

    assert sub.wait_for(1)
    message = sub.messages[0]
    assert (message.topic, message.payload, message.qos) == (
        "energy/v1/site-a/agent-1/readings",
        payload,
        1,
    )


def test_share_group_splits_messages_exactly_once(
    mosquitto: MosquittoServer, subscribers: list[Subscriber]
) -> None:
    group = "$share/split/energy/v1/+/+/readings"
    first, second = Subscriber(mosquitto).connect(), Subscriber(mosquitto).connect()
    subscribers.extend([first, second])
    first.subscribe(group)
    second.subscribe(group)

    publish_all(
        mosquitto,
        [(f"energy/v1/site-b/agent-{i % 3}/readings", str(i).encode()) for i in range(100)],
    )

    assert true_within(lambda: len(first.messages) + len(second.messages) >= 100, WAIT, 0.02)
    got = first.payloads() + second.payloads()
    assert sorted(int(p) for p in got) == list(range(100))
    assert first.messages and second.messages, "one member of the group got nothing"


def test_persistent_session_survives_broker_restart(
    broker: MosquittoServer, subscribers: list[Subscriber]
) -> None:
    away = Subscriber(
        broker, client_id="collector-X", clean_start=False, session_expiry=3600
    ).connect()
    away.subscribe(SHARED_SUB)
    away.disconnect()

    sent = [f"reading-{i}".encode() for i in range(20)]
    publish_all(broker, [("energy/v1/site-c/agent-1/readings", p) for p in sent])
    broker.restart()

    back = Subscriber(
        broker, client_id="collector-X", clean_start=False, session_expiry=3600
    ).connect()
    subscribers.append(back)

    assert back.session_present is True
    assert back.wait_for(len(sent))
    assert sorted(back.payloads()) == sorted(sent)


# --- failures are explained --------------------------------------------------------


@pytest.mark.parametrize(
    ("binary", "package"),
    [("mosquitto", "mosquitto"), ("influxd", "influxdb"), ("nginx", "nginx-light")],
)
@pytest.mark.usefixtures("local_servers")  # a server picks its free port when made
def test_missing_binary_names_the_debian_package(
    binary: str, package: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = devstack.errors.shutil.which
    monkeypatch.setattr(
        devstack.errors.shutil,
        "which",
        lambda name, **kw: None if name == binary else real_which(name, **kw),
    )
    server = MosquittoServer(tmp_path) if binary == "mosquitto" else InfluxServer(tmp_path)

    with pytest.raises(MissingBinary) as missing:
        server.start()

    assert f"install the Debian package '{package}'" in str(missing.value)
    assert f"apt-get install {package}" in str(missing.value)
    assert not server.running


@pytest.mark.usefixtures("processes")  # mosquitto starts, and fails
def test_startup_failure_shows_the_log_tail(tmp_path: Path) -> None:
    broker = MosquittoServer(tmp_path, extra_conf="no_such_option 1\n")

    with pytest.raises(StartupError) as failed:
        broker.start()

    assert "no_such_option" in str(failed.value)
    assert not broker.running
