"""Many paho-mqtt clients driven by one thread with a selector.

One connection per simulated agent (each has its own last will), without a
network thread per client: the pool calls paho's loop_read / loop_write /
loop_misc itself. A publish counts as sent when the broker acknowledged it
(PUBACK, QoS 1).
"""

from __future__ import annotations

import contextlib
import selectors
import ssl
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from telemetry.mqtt_url import MqttTarget

MAX_INFLIGHT = 200


class PoolError(RuntimeError):
    """The broker refused or dropped a connection."""


@dataclass
class Conn:
    name: str
    client: mqtt.Client
    connected: bool = False
    refused: str | None = None
    lost: str | None = None
    pending: dict[int, int] = field(default_factory=dict)  # mid -> readings (-1: not a batch)


class ClientPool:
    def __init__(
        self, target: MqttTarget, ca: str | None = None, agent_logins: bool = False
    ) -> None:
        # agent_logins: each connection logs in as its client id (an agent's own broker
        # account, with the target's password), as behind a broker with per-agent ACLs.
        self.agent_logins = agent_logins
        self.target = target
        self.ca = ca
        self.conns: list[Conn] = []
        self.selector = selectors.DefaultSelector()
        self.acked_messages = 0
        self.acked_readings = 0
        self._last_misc = time.monotonic()

    def add(self, client_id: str, will_topic: str, will_payload: bytes) -> Conn:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        client.max_inflight_messages_set(MAX_INFLIGHT)
        user = client_id if self.agent_logins else self.target.username
        if user:
            client.username_pw_set(user, self.target.password)
        if self.target.tls:
            client.tls_set(ca_certs=self.ca, cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(will_topic, will_payload, qos=1, retain=True)
        conn = Conn(client_id, client)
        client.on_connect = lambda _c, _u, _f, rc, _p: self._on_connect(conn, rc)
        client.on_disconnect = lambda _c, _u, _f, rc, _p: self._on_disconnect(conn, rc)
        client.on_publish = lambda _c, _u, mid, _rc, _p: self._on_publish(conn, mid)
        self.conns.append(conn)
        return conn

    def _on_connect(self, conn: Conn, rc: mqtt.ReasonCode) -> None:
        if rc.is_failure:
            conn.refused = str(rc)
        else:
            conn.connected = True

    def _on_disconnect(self, conn: Conn, rc: mqtt.ReasonCode) -> None:
        conn.connected = False
        if rc.is_failure:
            conn.lost = str(rc)

    def _on_publish(self, conn: Conn, mid: int) -> None:
        readings = conn.pending.pop(mid, None)
        if readings is not None and readings >= 0:
            self.acked_messages += 1
            self.acked_readings += readings

    def connect_all(self, timeout: float = 30.0) -> None:
        for conn in self.conns:
            try:
                conn.client.connect(self.target.host, self.target.port, keepalive=60)
            except OSError as exc:
                raise PoolError(
                    f"cannot connect to {self.target.redacted()} as {conn.name}: {exc}"
                ) from exc
            self.selector.register(conn.client.socket(), selectors.EVENT_READ, conn)
        deadline = time.monotonic() + timeout
        while not all(c.connected for c in self.conns):
            refused = next((c for c in self.conns if c.refused), None)
            if refused:
                raise PoolError(
                    f"{self.target.redacted()} refused {refused.name}: {refused.refused}"
                )
            if time.monotonic() > deadline:
                waiting = sum(1 for c in self.conns if not c.connected)
                raise PoolError(f"{waiting} client(s) got no CONNACK within {timeout} s")
            self.service(0.05)

    def publish(
        self, conn: Conn, topic: str, payload: bytes, readings: int = -1, retain: bool = False
    ) -> None:
        """QoS 1; `readings` > = 0 marks a reading batch, counted once acknowledged."""
        if conn.lost:
            raise PoolError(f"connection of {conn.name} lost: {conn.lost}")
        info = conn.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_QUEUE_SIZE:
            raise PoolError(f"publish of {conn.name} failed: {mqtt.error_string(info.rc)}")
        conn.pending[info.mid] = readings

    def inflight(self) -> int:
        return sum(len(c.pending) for c in self.conns)

    def service(self, timeout: float) -> None:
        """Move bytes: write what waits, read acknowledgements, keep connections alive."""
        for conn in self.conns:
            if conn.client.want_write():
                conn.client.loop_write()
        for key, _events in self.selector.select(timeout):
            key.data.client.loop_read()
        now = time.monotonic()
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for conn in self.conns:
                conn.client.loop_misc()
        lost = next((c for c in self.conns if c.lost), None)
        if lost:
            raise PoolError(f"connection of {lost.name} lost: {lost.lost}")

    def drain(self, timeout: float) -> bool:
        """Wait for every acknowledgement; False if some are still missing at the deadline."""
        deadline = time.monotonic() + timeout
        while self.inflight() and time.monotonic() < deadline:
            self.service(0.05)
        return self.inflight() == 0

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(KeyError, ValueError, TypeError):
                self.selector.unregister(conn.client.socket())
            conn.client.disconnect()
            conn.client.loop_write()
        self.selector.close()
