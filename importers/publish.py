"""Readings into v2 batches, published QoS 1 under the importer's agent identity.

paho-mqtt 2.x, MQTT v5, one batch at a time, each waited for until its PUBACK
(a PUBACK with a failure reason code, such as the broker's ACL refusing the
topic, stops the run). The client id is the agent id, as for an edge agent;
the broker's ACL lets the agent write only under energy/v1/{site}/{agent}/.

Each batch asks for the collector's receipt (MQTT v5 request/response): its
ResponseTopic is the import's own energy/v1/{site}/{agent}/receipts/{import},
which the agent's ACL lets it read, and its CorrelationData the batch seq. A
few batches are in flight at once; each must be answered within the receipt
timeout, or the import stops saying which batch was not.
"""

from __future__ import annotations

import ssl
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from pydantic import ValidationError

from importers.receipts import ImportReceipt
from importers.seqstore import SeqStore
from telemetry.mqtt_url import MqttTarget
from telemetry.readings_v2 import AnyReading, ReadingBatchV2
from telemetry.receipts import BatchReceipt
from telemetry.topics import readings_topic

IN_FLIGHT = 4  # batches published and not yet answered


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class Tls:
    ca: str | None = None
    cert: str | None = None
    key: str | None = None


def batches(
    site: str, agent: str, readings: Iterable[AnyReading], size: int, first_seq: int
) -> Iterator[ReadingBatchV2]:
    """The batches, built one at a time as they are published (a large file's readings
    are never all in memory at once)."""
    it = iter(readings)
    n = 0
    while chunk := list(islice(it, size)):
        yield ReadingBatchV2(site=site, agent=agent, seq=first_seq + n, readings=chunk)
        n += 1


class Publisher:
    def __init__(
        self,
        target: MqttTarget,
        client_id: str,
        timeout_s: float,
        tls: Tls,
        receipts_topic: str | None = None,
        receipt_timeout_s: float = 30.0,
    ) -> None:
        self.timeout_s = timeout_s
        self.receipts_topic = receipts_topic
        self.receipt_timeout_s = receipt_timeout_s
        self._answers: dict[bytes, BatchReceipt] = {}
        self._answered = threading.Condition()
        self._subscribed = threading.Event()
        self._sub_reason = "no answer"
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
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        self.client, self.target = c, target

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, reason, _p: object) -> None:
        self._connect_reason = str(reason)
        if not reason.is_failure:
            self._connected.set()

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, reason, _p: object) -> None:
        if reason.is_failure:
            self._acks[mid] = str(reason)

    def _on_subscribe(self, _c: mqtt.Client, _u: object, _mid: int, codes, _p: object) -> None:
        failed = [str(c) for c in codes if c.is_failure]
        self._sub_reason = ", ".join(failed)
        if not failed:
            self._subscribed.set()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        key = getattr(msg.properties, "CorrelationData", None)
        try:
            answer = BatchReceipt.model_validate_json(msg.payload)
        except ValidationError:
            return  # not a receipt: the wait for the batch's own goes on
        with self._answered:
            self._answers[bytes(key or b"")] = answer
            self._answered.notify_all()

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
        if self.receipts_topic is not None:
            self._subscribe_receipts(self.receipts_topic)

    def _subscribe_receipts(self, topic: str) -> None:
        self.client.subscribe(topic, options=SubscribeOptions(qos=1))
        if not self._subscribed.wait(self.timeout_s):
            self.close()
            raise PublishError(
                f"the broker refused the subscription to {topic} ({self._sub_reason}): the "
                "importer agent's ACL needs topic read energy/v1/{site}/{agent}/receipts/#"
            )

    def publish(self, batch: ReadingBatchV2) -> None:
        props = None
        if self.receipts_topic is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = self.receipts_topic
            props.CorrelationData = _correlation(batch.seq)
        topic = readings_topic(batch.site, batch.agent)
        info = self.client.publish(topic, batch.to_json(), qos=1, properties=props)
        try:
            info.wait_for_publish(self.timeout_s)
        except RuntimeError as exc:  # paho: the message was not queued (disconnected)
            raise PublishError(f"batch seq {batch.seq}: {exc}") from None
        if not info.is_published():
            raise PublishError(f"batch seq {batch.seq}: no PUBACK within {self.timeout_s:g} s")
        refused = self._acks.pop(info.mid, None)
        if refused is not None:
            raise PublishError(f"batch seq {batch.seq}: the broker refused it ({refused})")

    def receipt(self, seq: int) -> BatchReceipt:
        """The collector's answer to batch `seq`, waited for at most the receipt timeout."""
        key = _correlation(seq)
        with self._answered:
            if not self._answered.wait_for(lambda: key in self._answers, self.receipt_timeout_s):
                raise PublishError(
                    f"no receipt for batch {seq} within {self.receipt_timeout_s:g} s: "
                    "is the collector running?"
                )
            return self._answers.pop(key)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish_all(
    publisher: Publisher,
    store: SeqStore,
    site: str,
    agent: str,
    readings: Iterable[AnyReading],
    size: int,
    receipt: ImportReceipt | None = None,
    answered: Callable[[int], None] = lambda _n: None,
) -> int:
    """Every batch, in order; the seq is saved after each PUBACK. With `receipt`, each
    batch's answer is added to it (a few batches in flight) and `answered` is told how many
    readings it held. Returns how many batches went out."""
    sent = 0
    waiting: deque[ReadingBatchV2] = deque()
    for batch in batches(site, agent, readings, size, store.last() + 1):
        publisher.publish(batch)
        sent += 1
        store.save(batch.seq)
        if receipt is None:
            continue
        waiting.append(batch)
        if len(waiting) >= IN_FLIGHT:
            _settle(publisher, waiting.popleft(), receipt, answered)
    while receipt is not None and waiting:
        _settle(publisher, waiting.popleft(), receipt, answered)
    return sent


def _settle(
    publisher: Publisher,
    batch: ReadingBatchV2,
    receipt: ImportReceipt,
    answered: Callable[[int], None],
) -> None:
    receipt.add(batch.readings, publisher.receipt(batch.seq))
    answered(len(batch.readings))


def _correlation(seq: int) -> bytes:
    return str(seq).encode("ascii")
