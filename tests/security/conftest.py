"""A real Mosquitto running deploy/mosquitto/mosquitto.conf, with test ports and paths.

The config text is the production file; only listener ports and the
/mosquitto/... paths are substituted, so what is tested is what is deployed.
Certificates come from deploy/mosquitto/make-certs.sh (a test CA in tmp_path),
the password file from `mosquitto_passwd -b`, the ACL from telemetry.broker_acl.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import MosquittoServer, free_port
from devstack.errors import find_binary
from telemetry.broker_acl import registry_acl, site_agents
from telemetry.paths import PROJECT_ROOT
from telemetry.registry import load_registry

DEPLOY_CONF = PROJECT_ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
MAKE_CERTS = PROJECT_ROOT / "deploy" / "mosquitto" / "make-certs.sh"
DEMO_SITES = PROJECT_ROOT / "config" / "sites" / "demo.yaml"


@dataclass
class SecureBroker:
    server: MosquittoServer
    tls_port: int
    ca: Path
    passwords: dict[str, str]
    agents: list[tuple[str, str]]  # (site, agent)

    @property
    def port(self) -> int:
        return self.server.port


def render_test_conf(production: str, *, tls_port: int, auth_dir: Path, certs_dir: Path) -> str:
    """The production config with test listeners and paths (MosquittoServer fills {port}, {workdir})."""
    text = production
    replacements = [
        (r"^listener 1883$", "listener {port} 127.0.0.1"),
        (r"^listener 8883$", f"listener {tls_port} 127.0.0.1"),
        (r"/mosquitto/auth/", f"{auth_dir}/"),
        (r"/mosquitto/certs/", f"{certs_dir}/"),
        (r"/mosquitto/data/", "{workdir}/"),
    ]
    for pattern, new in replacements:
        text, count = re.subn(pattern, new, text, flags=re.MULTILINE)
        assert count >= 1, f"deploy/mosquitto/mosquitto.conf no longer has {pattern!r}"
    return text


def make_password_file(path: Path, passwords: dict[str, str]) -> None:
    tool = find_binary("mosquitto_passwd")
    for i, (user, password) in enumerate(passwords.items()):
        create = ["-c"] if i == 0 else []
        subprocess.run([tool, *create, "-b", str(path), user, password], check=True, timeout=30)


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    root = tmp_path_factory.mktemp("secure-broker")
    auth_dir, certs_dir = root / "auth", root / "certs"
    auth_dir.mkdir()
    subprocess.run(
        ["sh", str(MAKE_CERTS), str(certs_dir), "localhost"],
        check=True,
        timeout=60,
        capture_output=True,
    )
    registry = load_registry(DEMO_SITES)
    agents = site_agents(registry)
    users = ["collector", *(agent for _, agent in agents)]
    passwords = {user: secrets.token_urlsafe(12) for user in users}
    make_password_file(auth_dir / "passwd", passwords)
    (auth_dir / "acl").write_text(registry_acl(registry))
    tls_port = free_port()
    conf = render_test_conf(
        DEPLOY_CONF.read_text(), tls_port=tls_port, auth_dir=auth_dir, certs_dir=certs_dir
    )
    server = MosquittoServer(root / "broker", conf_text=conf)
    server.start()
    try:
        yield SecureBroker(server, tls_port, certs_dir / "ca.crt", passwords, agents)
    finally:
        server.stop()
