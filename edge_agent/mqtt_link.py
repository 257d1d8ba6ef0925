"""The agent's MQTT connection (paho-mqtt 2.x, MQTT v5, QoS 1).

paho runs its network loop in its own thread and reconnects with backoff by
itself. Its callbacks do no I/O: they hand events to the asyncio loop with
`call_soon_threadsafe`. Client id = agent id; the last will is the retained
`offline` status. `clean_start=True`: an agent only publishes, so a broker
session would hold nothing for it, and paho itself re-sends every QoS 1
message still waiting for its PUBACK after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from telemetry.models import offline_will

log = logging.getLogger("edge_agent.mqtt")


@dataclass(frozen=True)
class LinkConfig:
    host: str
    port: int
    client_id: str
    username: str | None
    password: str | None
    tls: bool
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    will_topic: str = ""
    keepalive_s: int = 30
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 30.0
    max_inflight: int = 20


@dataclass
class LinkEvents:
    """Callbacks run on the asyncio loop."""

    on_connected: Callable[[], None]
    on_disconnected: Callable[[str], None]
    on_puback: Callable[[int, bool, str], None]  # mid, ok, reason


class MqttLink:
    def __init__(self, config: LinkConfig, events: LinkEvents) -> None:
        self.config = config
        self._events = events
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop that called start()
        self.connected = False
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if config.username:
            c.username_pw_set(config.username, config.password)
        if config.tls:
            c.tls_set(
                ca_certs=config.ca,
                certfile=config.cert,
                keyfile=config.key,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        if config.will_topic:
            c.will_set(config.will_topic, offline_will(), qos=1, retain=True)
        c.reconnect_delay_set(
            min_delay=max(1, int(config.reconnect_min_s)),
            max_delay=max(1, int(config.reconnect_max_s)),
        )
        c.max_inflight_messages_set(config.max_inflight)
        c.max_queued_messages_set(0)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        self.client = c

    def start(self) -> None:
        """Connect in paho's thread; events go to the running asyncio loop."""
        self._loop = asyncio.get_running_loop()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 0
        self.client.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive_s,
            clean_start=True,
            properties=props,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        """Hand a QoS 1 message to paho; returns its mid (paho keeps it until PUBACK)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return info.mid

    # paho thread -> asyncio loop

    def _call(self, fn: Callable, *args: object) -> None:
        # A closed loop means the agent is shutting down: nothing left to tell.
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(fn, *args)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection", extra={"reason": str(reason_code)})
            self._call(self._events.on_disconnected, f"connect refused: {reason_code}")
            return
        self.connected = True
        self._call(self._events.on_connected)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self.connected
        self.connected = False
        if was:
            self._call(self._events.on_disconnected, f"disconnected: {reason_code}")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._call(self._events.on_puback, mid, not reason_code.is_failure, str(reason_code))
