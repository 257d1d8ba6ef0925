"""deploy/mosquitto/init-broker.sh (the stack's broker-init) makes auth a real broker accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import MosquittoServer, free_port
from telemetry.broker_acl import registry_acl
from telemetry.paths import PROJECT_ROOT
from telemetry.registry import load_registry
from telemetry.topics import readings_topic
from tests.security.conftest import DEMO_SITES, DEPLOY_CONF, render_test_conf
from tests.security.mqtt_clients import connect
from tests.support.processes import Processes

pytestmark = pytest.mark.timeout(90)
SCRIPT = PROJECT_ROOT / "deploy" / "mosquitto" / "init-broker.sh"
COLLECTOR_PW = "collector-pw-1"
SHARED_PW = "shared-demo-pw"
OWN_PW = "own-box-pw-7"


def _run_init(
    processes: Processes, root: Path, users_file: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MOSQUITTO_AUTH_DIR": str(root / "auth"),
        "MOSQUITTO_CERTS_DIR": str(root / "certs"),
        "MQTT_USERS_FILE": str(users_file),
        "PYTHON": sys.executable,
        "ENERGY_CONFIG": str(DEMO_SITES),
        "MQTT_COLLECTOR_PASSWORD": COLLECTOR_PW,
        "MQTT_AGENT_PASSWORD": SHARED_PW,
        **extra,
    }
    return processes.run(["sh", str(SCRIPT)], env=env, cwd=PROJECT_ROOT, timeout=60)


def test_init_broker_writes_acl_passwords_and_a_trial_ca(
    tmp_path: Path, processes: Processes
) -> None:
    registry = load_registry(DEMO_SITES)
    own_box, shared_box = list(registry.agents)[:2]
    users = tmp_path / "mqtt_users"
    users.write_text(f"# one line per site box\n{own_box}:{OWN_PW}\n")
    done = _run_init(processes, tmp_path, users)
    assert done.returncode == 0, done.stdout + done.stderr
    auth, certs = tmp_path / "auth", tmp_path / "certs"
    assert (auth / "acl").read_text() == registry_acl(registry)
    passwd = (auth / "passwd").read_text()
    assert {line.split(":")[0] for line in passwd.splitlines()} == {"collector", *registry.agents}
    assert COLLECTOR_PW not in passwd and SHARED_PW not in passwd and OWN_PW not in passwd
    assert not (auth / "passwd.plain").exists()
    assert (certs / "server.crt").is_file() and (certs / "ca.crt").is_file()

    tls_port = free_port()
    conf = render_test_conf(
        DEPLOY_CONF.read_text(), tls_port=tls_port, auth_dir=auth, certs_dir=certs
    )
    with MosquittoServer(tmp_path / "broker", conf_text=conf) as broker:
        site = registry.site_of_agent(own_box).id
        for user, password, ok in (
            ("collector", COLLECTOR_PW, True),
            (own_box, OWN_PW, True),
            (own_box, SHARED_PW, False),  # its own line wins over the shared demo password
            (shared_box, SHARED_PW, True),
        ):
            client = connect(broker.port, user, password, client_id=f"init-{user}-{ok}")
            try:
                assert client.accepted is ok, (user, client.connack)
            finally:
                client.close()
        agent = connect(
            tls_port, own_box, OWN_PW, client_id="init-tls", ca=certs / "ca.crt", host="localhost"
        )
        try:
            assert agent.accepted
            code = agent.publish(readings_topic(site, own_box), b"{}")
            assert code is None or not code.is_failure
        finally:
            agent.close()


def test_init_broker_refuses_without_a_collector_password(
    tmp_path: Path, processes: Processes
) -> None:
    done = _run_init(processes, tmp_path, tmp_path / "none", MQTT_COLLECTOR_PASSWORD="")
    assert done.returncode != 0
    assert "MQTT_COLLECTOR_PASSWORD" in done.stderr
