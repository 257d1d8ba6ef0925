"""Small blocking MQTT v5 helpers for the broker security tests (real broker, real sockets)."""

from __future__ import annotations

import queue
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

WAIT_S = 10.0


@dataclass
class Client:
    """A connected (or refused) client that records what it receives."""

    paho: mqtt.Client
    connack: ReasonCode | None = None
    messages: queue.Queue[mqtt.MQTTMessage] = field(default_factory=queue.Queue)
    received: list[tuple[str, bytes]] = field(default_factory=list)
    _connected: threading.Event = field(default_factory=threading.Event)
    _acks: dict[int, threading.Event] = field(default_factory=dict)
    _ack_codes: dict[int, ReasonCode] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> bool:
        return self.connack is not None and not self.connack.is_failure

    def subscribe(self, topic: str) -> list[ReasonCode]:
        """Subscribe and wait for the SUBACK; its reason codes."""
        done = threading.Event()
        codes: list[ReasonCode] = []

        def on_subscribe(_c, _u, _mid, reason_codes, _props) -> None:  # type: ignore[no-untyped-def]
            codes.extend(reason_codes)
            done.set()

        self.paho.on_subscribe = on_subscribe
        self.paho.subscribe(topic, qos=1)
        assert done.wait(WAIT_S), f"no SUBACK for {topic}"
        return codes

    def publish(
        self, topic: str, payload: bytes, retain: bool = False, properties: Properties | None = None
    ) -> ReasonCode | None:
        """Publish QoS 1 and wait for the PUBACK; its reason code (None if the broker sent none)."""
        with self._lock:
            info = self.paho.publish(topic, payload, qos=1, retain=retain, properties=properties)
            event = self._acks.setdefault(info.mid, threading.Event())
        assert event.wait(WAIT_S), f"no PUBACK for {topic}"
        return self._ack_codes.get(info.mid)

    def wait_for(self, payload: bytes, timeout: float = WAIT_S) -> bool:
        """True once a message with this payload has arrived (polling with a deadline)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p == payload for _, p in self.received):
                return True
            try:
                msg = self.messages.get(timeout=0.1)
            except queue.Empty:
                continue
            self.received.append((msg.topic, msg.payload))
        return any(p == payload for _, p in self.received)

    def drain(self) -> list[tuple[str, bytes]]:
        while True:
            try:
                msg = self.messages.get_nowait()
            except queue.Empty:
                return self.received
            self.received.append((msg.topic, msg.payload))

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()

    # paho callbacks
    def _on_connect(self, _c, _u, _flags, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        self.connack = reason_code
        self._connected.set()

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:
        self.messages.put(msg)

    def _on_publish(self, _c, _u, mid, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self._ack_codes[mid] = reason_code
            self._acks.setdefault(mid, threading.Event()).set()


def connect(
    port: int,
    username: str | None,
    password: str | None,
    *,
    client_id: str,
    ca: Path | None = None,
    host: str = "127.0.0.1",
) -> Client:
    """Connect with MQTT v5 and wait for the CONNACK (accepted or refused)."""
    paho = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client = Client(paho)
    paho.on_connect = client._on_connect
    paho.on_message = client._on_message
    paho.on_publish = client._on_publish
    if username is not None:
        paho.username_pw_set(username, password)
    if ca is not None:
        paho.tls_set(ca_certs=str(ca), cert_reqs=ssl.CERT_REQUIRED)
    paho.connect(host, port, keepalive=30)
    paho.loop_start()
    assert client._connected.wait(WAIT_S), f"no CONNACK from {host}:{port}"
    return client
