"""Broker security on a real Mosquitto running the deployed config (DESIGN.md "Security model")."""

from __future__ import annotations

import ssl
import uuid

import pytest

from telemetry.topics import readings_topic, shared_readings_subscription, status_topic
from tests.security.conftest import SecureBroker
from tests.security.mqtt_clients import Client, connect

pytestmark = pytest.mark.timeout(60)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _login(broker: SecureBroker, user: str, *, tls: bool = False) -> Client:
    port = broker.tls_port if tls else broker.port
    ca = broker.ca if tls else None
    client = connect(
        port,
        user,
        broker.passwords[user],
        client_id=_id(user),
        ca=ca,
        host="localhost" if tls else "127.0.0.1",
    )
    assert client.accepted, f"{user} refused: {client.connack}"
    return client


def _payload(tag: str) -> bytes:
    return f'{{"probe": "{tag}", "n": "{uuid.uuid4().hex}"}}'.encode()


def test_anonymous_connect_is_refused(secure_broker: SecureBroker) -> None:
    client = connect(secure_broker.port, None, None, client_id=_id("anon"))
    try:
        assert client.connack is not None and client.connack.is_failure
        assert client.connack.getName() in ("Not authorized", "Bad user name or password")
    finally:
        client.close()


def test_wrong_password_is_refused(secure_broker: SecureBroker) -> None:
    client = connect(secure_broker.port, "collector", "not-the-password", client_id=_id("bad"))
    try:
        assert client.connack is not None and client.connack.is_failure
    finally:
        client.close()


def test_collector_reads_every_agents_readings_and_status(secure_broker: SecureBroker) -> None:
    collector = _login(secure_broker, "collector")
    collector.subscribe(shared_readings_subscription())
    collector.subscribe(status_topic("+", "+"))
    sent: list[bytes] = []
    try:
        for site, agent in secure_broker.agents:
            client = _login(secure_broker, agent)
            try:
                for topic in (readings_topic(site, agent), status_topic(site, agent)):
                    payload = _payload(topic)
                    code = client.publish(topic, payload)
                    assert code is None or not code.is_failure, f"{agent} denied on {topic}: {code}"
                    sent.append(payload)
            finally:
                client.close()
        missing = [p for p in sent if not collector.wait_for(p)]
        assert missing == [], f"collector did not get {len(missing)} of {len(sent)} messages"
    finally:
        collector.close()


def test_agent_cannot_publish_under_another_agents_prefix(secure_broker: SecureBroker) -> None:
    (site_a, agent_a), (site_b, agent_b) = secure_broker.agents[0], secure_broker.agents[-1]
    collector = _login(secure_broker, "collector")
    collector.subscribe(readings_topic("+", "+"))
    intruder = _login(secure_broker, agent_a)
    try:
        forged = _payload("forged")
        code = intruder.publish(readings_topic(site_b, agent_b), forged)
        # Mosquitto 2.0 answers a denied QoS 1 publish with "Not authorized" (MQTT v5).
        assert code is not None and code.is_failure, f"forged publish acknowledged as {code}"
        # A publish on its own prefix, sent after the forged one on the same
        # connection, reaches the collector after it would have: once the
        # genuine message is in, the forged one can no longer be on its way.
        genuine = _payload("genuine")
        intruder.publish(readings_topic(site_a, agent_a), genuine)
        assert collector.wait_for(genuine)
        topics_payloads = collector.drain()
        assert all(p != forged for _, p in topics_payloads), "forged message was delivered"
        # Nor may it forge another agent's status (e.g. a fake 'online').
        assert intruder.publish(
            status_topic(site_b, agent_b), _payload("fake"), retain=True
        ).is_failure
        # Nor write outside the energy/v1 tree at all.
        assert intruder.publish("energy/v1/other", _payload("x")).is_failure
    finally:
        intruder.close()
        collector.close()


def test_agent_cannot_read_other_agents_data(secure_broker: SecureBroker) -> None:
    (site_a, agent_a), (site_b, agent_b) = secure_broker.agents[0], secure_broker.agents[-1]
    collector = _login(secure_broker, "collector")
    collector.subscribe(readings_topic(site_b, agent_b))
    snoop = _login(secure_broker, agent_a)
    victim = _login(secure_broker, agent_b)
    try:
        # Mosquitto 2.0 grants the SUBSCRIBE and applies the read ACL on
        # delivery, so what counts is that nothing arrives.
        snoop.subscribe(readings_topic(site_b, agent_b))
        snoop.subscribe("energy/v1/#")
        snoop.subscribe(readings_topic(site_a, agent_a))  # not even its own data
        secret = _payload("victim")
        victim.publish(readings_topic(site_b, agent_b), secret)
        assert collector.wait_for(secret), "the victim's message never reached the collector"
        # Barrier: the broker routes a message to every subscriber at once, so
        # by the time the snoop's own later publish is acknowledged, anything
        # routed to it earlier has arrived on its socket.
        snoop.publish(status_topic(site_a, agent_a), _payload("barrier"))
        assert snoop.drain() == [], "an agent received another agent's data"
    finally:
        for client in (snoop, victim, collector):
            client.close()


def test_collector_cannot_publish_readings(secure_broker: SecureBroker) -> None:
    site, agent = secure_broker.agents[0]
    collector = _login(secure_broker, "collector")
    try:
        assert collector.publish(readings_topic(site, agent), _payload("c")).is_failure
    finally:
        collector.close()


def test_tls_with_test_ca_works_for_agent_and_collector(secure_broker: SecureBroker) -> None:
    site, agent = secure_broker.agents[1]
    collector = _login(secure_broker, "collector", tls=True)
    collector.subscribe(shared_readings_subscription())
    sender = _login(secure_broker, agent, tls=True)
    try:
        payload = _payload("tls")
        code = sender.publish(readings_topic(site, agent), payload)
        assert code is None or not code.is_failure
        assert collector.wait_for(payload)
    finally:
        sender.close()
        collector.close()


def test_tls_refuses_a_client_that_does_not_trust_the_ca(
    secure_broker: SecureBroker, tmp_path
) -> None:
    # A CA of its own: the broker's certificate must not verify against it.
    import subprocess

    from tests.security.conftest import MAKE_CERTS

    subprocess.run(
        ["sh", str(MAKE_CERTS), str(tmp_path / "other")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    _, agent = secure_broker.agents[1]
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(
            secure_broker.tls_port,
            agent,
            secure_broker.passwords[agent],
            client_id=_id("mitm"),
            ca=tmp_path / "other" / "ca.crt",
            host="localhost",
        )


def test_tls_listener_still_requires_a_password(secure_broker: SecureBroker) -> None:
    client = connect(
        secure_broker.tls_port,
        None,
        None,
        client_id=_id("anon-tls"),
        ca=secure_broker.ca,
        host="localhost",
    )
    try:
        assert client.connack is not None and client.connack.is_failure
    finally:
        client.close()
