"""Readings into v2 batches, published QoS 1 under the importer's agent identity.

paho-mqtt 2.x, MQTT v5, one batch at a time, each waited for until its PUBACK
(a PUBACK with a failure reason code, such as the broker's ACL refusing the
topic, stops the run). The client id is the agent id, as for an edge agent;
the broker's ACL lets the agent write only under energy/v1/{site}/{agent}/.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from importers.seqstore import SeqStore
from telemetry.mqtt_url import MqttTarget
from telemetry.readings_v2 import AnyReading, ReadingBatchV2
from telemetry.topics import readings_topic


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class Tls:
    ca: str | None = None
    cert: str | None = None
    key: str | None = None


def batches(
    site: str, agent: str, readings: Sequence[AnyReading], size: int, first_seq: int
) -> list[ReadingBatchV2]:
    chunks = [readings[i : i + size] for i in range(0, len(readings), size)]
    return [
        ReadingBatchV2(site=site, agent=agent, seq=first_seq + n, readings=list(chunk))
        for n, chunk in enumerate(chunks)
    ]


class Publisher:
    def __init__(self, target: MqttTarget, client_id: str, timeout_s: float, tls: Tls) -> None:
        self.timeout_s = timeout_s
        self._connected = threading.Event()
        self._connect_reason = "no answer"
        self._acks: dict[int, str] = {}  # mid -> reason of a failed PUBACK
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
        )
        if target.username:
            c.username_pw_set(target.username, target.password)
        if target.tls:
            c.tls_set(
                ca_certs=tls.ca, certfile=tls.cert, keyfile=tls.key, cert_reqs=ssl.CERT_REQUIRED
            )
        c.on_connect = self._on_connect
        c.on_publish = self._on_publish
        self.client, self.target = c, target

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, reason, _p: object) -> None:
        self._connect_reason = str(reason)
        if not reason.is_failure:
            self._connected.set()

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, reason, _p: object) -> None:
        if reason.is_failure:
            self._acks[mid] = str(reason)

    def connect(self) -> None:
        try:
            self.client.connect(self.target.host, self.target.port, clean_start=True)
        except OSError as exc:
            raise PublishError(f"cannot reach {self.target.redacted()}: {exc}") from None
        self.client.loop_start()
        if not self._connected.wait(self.timeout_s):
            self.close()
            raise PublishError(
                f"{self.target.redacted()} refused the connection: {self._connect_reason}"
            )

    def publish(self, batch: ReadingBatchV2) -> None:
        info = self.client.publish(readings_topic(batch.site, batch.agent), batch.to_json(), qos=1)
        try:
            info.wait_for_publish(self.timeout_s)
        except RuntimeError as exc:  # paho: the message was not queued (disconnected)
            raise PublishError(f"batch seq {batch.seq}: {exc}") from None
        if not info.is_published():
            raise PublishError(f"batch seq {batch.seq}: no PUBACK within {self.timeout_s:g} s")
        refused = self._acks.pop(info.mid, None)
        if refused is not None:
            raise PublishError(f"batch seq {batch.seq}: the broker refused it ({refused})")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish_all(
    publisher: Publisher,
    store: SeqStore,
    site: str,
    agent: str,
    readings: Sequence[AnyReading],
    size: int,
) -> list[ReadingBatchV2]:
    """Every batch, in order; the seq is saved after each PUBACK."""
    out = batches(site, agent, readings, size, store.last() + 1)
    for batch in out:
        publisher.publish(batch)
        store.save(batch.seq)
    return out
