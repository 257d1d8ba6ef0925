"""TLS and a password from the environment, on a broker with no anonymous access and an ACL."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from devstack import shifted_config
from devstack.errors import find_binary
from devstack.mosquitto import MosquittoServer
from devstack.ports import free_port
from telemetry.paths import PROJECT_ROOT
from tests.edge_agent.procs import CONFIGS, Subscriber, dump, start_agent, start_simulators
from tests.support.waiting import true_within

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed"),
]

MAKE_CERTS = PROJECT_ROOT / "deploy" / "mosquitto" / "make-certs.sh"
SITE, AGENT = "ea-test", "ea-gw"

CONF = """\
per_listener_settings false
allow_anonymous false
password_file {auth}/passwd
acl_file {auth}/acl
persistence false
log_dest file {workdir}/mosquitto.log
listener {port} 127.0.0.1
listener {tls_port} 127.0.0.1
cafile {certs}/ca.crt
certfile {certs}/server.crt
keyfile {certs}/server.key
"""


@pytest.mark.skipif(not MAKE_CERTS.exists(), reason="deploy/mosquitto/make-certs.sh is missing")
def test_agent_publishes_over_tls_with_its_own_user(tmp_path: Path, procs) -> None:
    certs, auth = tmp_path / "certs", tmp_path / "auth"
    auth.mkdir()
    subprocess.run(["sh", str(MAKE_CERTS), str(certs)], check=True, capture_output=True, timeout=60)
    passwords = {AGENT: secrets.token_urlsafe(12), "reader": secrets.token_urlsafe(12)}
    tool = find_binary("mosquitto_passwd")
    for i, (user, password) in enumerate(passwords.items()):
        create = ["-c"] if i == 0 else []
        subprocess.run(
            [tool, *create, "-b", str(auth / "passwd"), user, password], check=True, timeout=30
        )
    (auth / "acl").write_text(
        f"user {AGENT}\ntopic write energy/v1/{SITE}/{AGENT}/#\n\nuser reader\ntopic read energy/v1/#\n"
    )
    tls_port = free_port()
    conf = CONF.replace("{auth}", str(auth)).replace("{certs}", str(certs))
    broker = MosquittoServer(tmp_path / "mq", conf_text=conf.replace("{tls_port}", str(tls_port)))
    broker.start()
    config = shifted_config(CONFIGS / "all_profiles.yaml", tmp_path / "sites.yaml")
    sub = Subscriber(broker.host, broker.port, SITE, AGENT, "reader", passwords["reader"])
    try:
        procs.append(start_simulators(config, tmp_path / "sim.log"))
        agent = start_agent(
            config,
            AGENT,
            f"mqtts://{AGENT}@127.0.0.1:{tls_port}",
            tmp_path / "outbox.sqlite",
            tmp_path / "agent.log",
            "--mqtt-ca",
            str(certs / "ca.crt"),
            env={"ENERGY_MQTT_PASSWORD": passwords[AGENT]},
        )
        procs.append(agent)
        assert true_within(lambda: len(sub.seqs()) >= 2, 30), (
            dump(agent) + broker.log_text()[-2000:]
        )
        assert {r.meter for r in sub.readings()} <= {"elec-1", "gas-1", "water-1", "heat-1", "pv-1"}
        assert passwords[AGENT] not in agent.text()  # the secret never reaches the log
    finally:
        sub.close()
        broker.stop()
