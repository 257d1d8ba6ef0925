"""The MQTT side: a persistent MQTT v5 session on the shared subscriptions.

`on_message` only enqueues (no parsing, no I/O). Acks come from the writer
thread once the write holding a message has succeeded. Each connection has a
generation number: packet ids belong to a connection, so an ack for a message
that came on an earlier connection is skipped (the broker redelivers it on the
new one, where it is written again, harmlessly, and acknowledged).
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from collector import metrics as m
from collector.settings import CollectorSettings
from collector.verdict import Delivery
from telemetry.topics import SHARE_GROUP, shared_readings_subscription, status_subscription

log = logging.getLogger(__name__)


def subscriptions() -> list[str]:
    # Status is shared too: each status message is then stored by one collector
    # only, and the broker sends no retained copies to shared subscriptions, so
    # a restart does not store every agent's last status again.
    return [shared_readings_subscription(), f"$share/{SHARE_GROUP}/{status_subscription()}"]


class MqttSource:
    def __init__(self, settings: CollectorSettings, inbox: queue.Queue[Delivery | None]) -> None:
        self.settings = settings
        self.inbox = inbox
        self.target = settings.mqtt_target()
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # SUBACK seen on the current connection
        self._lock = threading.Lock()
        self._generation = 0
        self._accepting = True
        self.last_message = time.monotonic()
        self.refused_after_stop = 0
        self._unsubscribed = threading.Event()
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if self.target.username:
            client.username_pw_set(self.target.username, self.target.password)
        if self.target.tls:
            client.tls_set(
                ca_certs=str(self.settings.mqtt_ca) if self.settings.mqtt_ca else None,
                certfile=str(self.settings.mqtt_cert) if self.settings.mqtt_cert else None,
                keyfile=str(self.settings.mqtt_key) if self.settings.mqtt_key else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_unsubscribe = lambda *_a: self._unsubscribed.set()
        client.on_subscribe = self._on_subscribe
        client.on_connect_fail = lambda *_a: log.warning(
            "cannot reach broker %s; retrying", self.target.redacted()
        )
        return client

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        props.ReceiveMaximum = self.settings.receive_maximum
        self.client.connect_async(
            self.target.host, self.target.port, keepalive=30, clean_start=False, properties=props
        )
        self.client.loop_start()

    # --- callbacks (network thread): no I/O beyond the queue ---------------
    def _on_connect(self, client: mqtt.Client, _ud: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker %s refused the connection: %s", self.target.redacted(), reason)
            return
        with self._lock:
            self._generation += 1
        if not flags.session_present:
            log.info("new MQTT session %s (nothing queued for it)", self.settings.client_id)
        client.subscribe([(t, SubscribeOptions(qos=1)) for t in subscriptions()])
        self.connected.set()
        m.MQTT_CONNECTED.set(1)
        log.info("connected to %s as %s", self.target.redacted(), self.settings.client_id)

    def _on_subscribe(self, _c: mqtt.Client, _ud: Any, _mid: int, codes: Any, _p: Any) -> None:
        failed = [c for c in codes if c.is_failure]
        if failed:
            log.error("broker refused subscriptions %s: %s", subscriptions(), failed)
            return
        self.subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _ud: Any, _f: Any, reason: Any, _p: Any) -> None:
        with self._lock:
            self._generation += 1
        self.connected.clear()
        self.subscribed.clear()
        m.MQTT_CONNECTED.set(0)
        log.warning("disconnected from broker: %s", reason)

    def _on_message(self, _c: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        self.last_message = time.monotonic()
        if not self._accepting:
            # Shutting down: leave it unacknowledged; the broker keeps it.
            self.refused_after_stop += 1
            return
        m.ACKS_PENDING.inc()
        props = getattr(msg, "properties", None)
        self.inbox.put(
            Delivery(
                msg.mid,
                msg.qos,
                msg.topic,
                msg.payload,
                time.time(),
                self._generation,
                getattr(props, "ResponseTopic", None),
                getattr(props, "CorrelationData", None),
            )
        )

    # --- writer thread ------------------------------------------------------
    def ack(self, d: Delivery) -> None:
        m.ACKS_PENDING.dec()
        if d.qos == 0:
            return
        with self._lock:
            if d.generation != self._generation or not self.connected.is_set():
                m.ACKS_VOID.inc()
                return
            self.client.ack(d.mid, d.qos)
        m.ACKS.inc()

    def respond(self, d: Delivery, payload: bytes) -> None:
        """The receipt of a request batch, before its ack: a crash in between redelivers
        the batch, and it is written and answered again (harmlessly)."""
        if d.response_topic is None:
            return
        props = Properties(PacketTypes.PUBLISH)
        if d.correlation is not None:
            props.CorrelationData = d.correlation
        self.client.publish(d.response_topic, payload, qos=1, properties=props)
        m.RECEIPTS.inc()

    # --- shutdown -----------------------------------------------------------
    def stop_accepting(self) -> None:
        self._accepting = False

    def leave_group(self, quiet_s: float = 1.0, timeout_s: float = 10.0) -> None:
        """Unsubscribe, then wait until the broker has sent what it holds for us."""
        self._unsubscribed.clear()
        self.client.unsubscribe(subscriptions())
        self._unsubscribed.wait(timeout_s)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if time.monotonic() - self.last_message >= quiet_s:
                return
            time.sleep(0.1)

    def close(self, end_session: bool) -> None:
        props = None
        if end_session:
            props = Properties(PacketTypes.DISCONNECT)
            props.SessionExpiryInterval = 0
        self.client.disconnect(properties=props)
        self.client.loop_stop()
