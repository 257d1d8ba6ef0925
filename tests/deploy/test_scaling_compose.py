"""deploy/scaling/compose.city.yml: an EMQX cluster, collectors spread over its nodes."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from telemetry.paths import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "deploy" / "scaling" / "compose.city.yml"
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / ".env.example"
pytestmark = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed"
)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    done = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), "config"],
        capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["services"]


def test_the_emqx_nodes_form_one_static_cluster(services: dict[str, Any]) -> None:
    nodes = {name: s for name, s in services.items() if name.startswith("emqx-")}
    assert len(nodes) == 3
    names = {s["environment"]["EMQX_NODE__NAME"] for s in nodes.values()}
    for node in nodes.values():
        env = node["environment"]
        assert env["EMQX_CLUSTER__DISCOVERY_STRATEGY"] == "static"
        seeds = {x.strip() for x in env["EMQX_CLUSTER__STATIC__SEEDS"].strip("[]").split(",")}
        assert seeds == names
        # the node's name resolves: its host name is an alias on the shared network
        assert env["EMQX_NODE__NAME"].split("@")[1] in node["networks"]["city"]["aliases"]


def test_collectors_share_one_subscription_over_every_node(services: dict[str, Any]) -> None:
    collectors = [s for name, s in services.items() if name.startswith("collector-")]
    assert len(collectors) == 3
    instances = {c["environment"]["COLLECTOR_INSTANCE"] for c in collectors}
    assert len(instances) == 3  # arrival markers and stats are per instance
    hosts = {c["environment"]["ENERGY_MQTT_URL"].split("//")[1].split(":")[0] for c in collectors}
    aliases = {a for name, s in services.items() if name.startswith("emqx-")
               for a in s["networks"]["city"]["aliases"]}  # fmt: skip
    assert hosts == aliases
    assert all("python -m collector run" in " ".join(c["command"]) for c in collectors)


def test_site_boxes_reach_the_cluster_over_tls_only(services: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert list(published) == ["mqtt-lb"]
    assert len(published["mqtt-lb"]) == 1 and "8883" in str(published["mqtt-lb"][0])


def test_rollup_workers_share_the_partitions_and_one_merge_publishes(
    services: dict[str, Any],
) -> None:
    workers = {n: s for n, s in services.items() if n.startswith("rollup-worker-")}
    assert len(workers) == 2
    for worker in workers.values():
        assert "python -m collector rollup --worker" in " ".join(worker["command"])
        env = worker["environment"]
        assert env["ENERGY_ROLLUP_WORKERS"] == str(len(workers))  # each takes its share
        assert env["ENERGY_DB_URL"].startswith("postgresql+psycopg://")  # the leases
    (merge,) = [s for n, s in services.items() if n.startswith("rollup-merge")]
    assert "python -m collector rollup --merge" in " ".join(merge["command"])
    assert merge["environment"]["ENERGY_ROLLUP_WORKERS"] == str(len(workers))
    assert "rollup" not in services  # no second publisher beside the merge
