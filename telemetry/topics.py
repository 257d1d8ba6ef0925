"""MQTT topic names of the wire contract."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telemetry.ids import ID_RULE, is_valid_id

PREFIX = "energy/v1"
SHARE_GROUP = "collectors"


class TopicKind(StrEnum):
    READINGS = "readings"
    STATUS = "status"


class TopicError(ValueError):
    """A topic that is not energy/v1/{site}/{agent}/readings|status."""


@dataclass(frozen=True, slots=True)
class Topic:
    site: str
    agent: str
    kind: TopicKind

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/{self.agent}/{self.kind.value}"


def readings_topic(site: str, agent: str) -> str:
    return str(Topic(site, agent, TopicKind.READINGS))


def status_topic(site: str, agent: str) -> str:
    return str(Topic(site, agent, TopicKind.STATUS))


def agent_prefix(site: str, agent: str) -> str:
    """What the broker ACL lets an agent write under."""
    return f"{PREFIX}/{site}/{agent}/#"


def shared_readings_subscription(group: str = SHARE_GROUP) -> str:
    return f"$share/{group}/{PREFIX}/+/+/{TopicKind.READINGS.value}"


def status_subscription() -> str:
    return f"{PREFIX}/+/+/{TopicKind.STATUS.value}"


def parse_topic(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:2]) != PREFIX:
        raise TopicError(f"topic {topic!r}: expected {PREFIX}/{{site}}/{{agent}}/readings|status")
    _, _, site, agent, kind = parts
    for name, value in (("site", site), ("agent", agent)):
        if not is_valid_id(value):
            raise TopicError(f"topic {topic!r}: {name} {value!r} is not a valid id ({ID_RULE})")
    try:
        return Topic(site, agent, TopicKind(kind))
    except ValueError:
        raise TopicError(f"topic {topic!r}: last level must be readings or status") from None
