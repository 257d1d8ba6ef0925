from __future__ import annotations

import pytest

from telemetry.topics import (
    TopicError,
    TopicKind,
    agent_prefix,
    parse_topic,
    readings_topic,
    shared_readings_subscription,
    status_topic,
)


def test_builders_and_parser_agree() -> None:
    assert readings_topic("hanam-ic", "hanam-gw-a") == "energy/v1/hanam-ic/hanam-gw-a/readings"
    assert status_topic("hanam-ic", "gw") == "energy/v1/hanam-ic/gw/status"
    topic = parse_topic(readings_topic("hanam-ic", "hanam-gw-a"))
    assert (topic.site, topic.agent, topic.kind) == ("hanam-ic", "hanam-gw-a", TopicKind.READINGS)
    assert str(topic) == "energy/v1/hanam-ic/hanam-gw-a/readings"
    assert shared_readings_subscription() == "$share/collectors/energy/v1/+/+/readings"
    assert agent_prefix("s", "a") == "energy/v1/s/a/#"


@pytest.mark.parametrize(
    ("topic", "says"),
    [
        ("energy/v2/s/a/readings", "expected energy/v1"),
        ("energy/v1/s/a/readings/extra", "expected energy/v1"),
        ("energy/v1/s/a/commands", "readings or status"),
        ("energy/v1/S!/a/readings", "site"),
        ("energy/v1/s//readings", "agent"),
    ],
)
def test_bad_topics_say_what_is_wrong(topic: str, says: str) -> None:
    with pytest.raises(TopicError, match=says):
        parse_topic(topic)
