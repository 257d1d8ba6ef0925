"""telemetry.broker_acl: registry -> Mosquitto ACL text (pure functions and the CLI)."""

from __future__ import annotations

import pytest

from telemetry.broker_acl import acl_text, agent_block, collector_block, registry_acl
from telemetry.paths import PROJECT_ROOT
from telemetry.registry import AgentKind, load_registry
from tests.support.processes import Processes, python_m

DEMO = PROJECT_ROOT / "config" / "sites" / "demo.yaml"


def _blocks(text: str) -> dict[str, list[str]]:
    """user -> its topic lines, parsed back from the ACL text."""
    blocks: dict[str, list[str]] = {}
    user = None
    for line in text.splitlines():
        if line.startswith("user "):
            user = line.split(" ", 1)[1]
            assert user not in blocks, f"user {user} appears twice"
            blocks[user] = []
        elif line.startswith("topic "):
            assert user is not None, "topic line before any user block grants it to everyone"
            blocks[user].append(line)
    return blocks


def test_one_block_per_agent_writing_only_its_prefix() -> None:
    registry = load_registry(DEMO)
    blocks = _blocks(registry_acl(registry))
    for site in registry.sites.values():
        for agent in site.agents:
            receipts = [f"topic read energy/v1/{site.id}/{agent.id}/receipts/#"]
            assert blocks[agent.id] == [f"topic write energy/v1/{site.id}/{agent.id}/#"] + (
                receipts if agent.kind is AgentKind.IMPORTER else []
            )
    assert set(blocks) == {"collector", *registry.agents}


def test_collector_reads_readings_and_status_and_writes_only_receipts() -> None:
    assert _blocks(collector_block())["collector"] == [
        "topic read energy/v1/+/+/readings",
        "topic read energy/v1/+/+/status",
        "topic write energy/v1/+/+/receipts/#",
    ]


def test_agent_block_text() -> None:
    assert agent_block("s1", "a1") == "user a1\ntopic write energy/v1/s1/a1/#\n"


@pytest.mark.parametrize(
    ("pairs", "users", "needle"),
    [
        ([("s1", "bad agent")], ["collector"], "agent 'bad agent'"),
        ([("s/1", "a1")], ["collector"], "site 's/1'"),
        ([("s1", "a#")], ["collector"], "agent 'a#'"),
        ([("s1", "collector")], ["collector"], "clash"),
        ([("s1", "a1")], ["+"], "collector user '+'"),
    ],
)
def test_names_that_would_grant_the_wrong_thing_are_refused(pairs, users, needle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=needle.replace("+", r"\+")):
        acl_text(pairs, collector_users=users)


def test_committed_deploy_acl_matches_the_registry() -> None:
    committed = (PROJECT_ROOT / "deploy" / "mosquitto" / "acl").read_text()
    assert committed == registry_acl(load_registry(DEMO)), (
        "deploy/mosquitto/acl is stale: python -m telemetry.broker_acl "
        "--config config/sites/demo.yaml > deploy/mosquitto/acl"
    )


def test_cli_prints_the_acl_and_reports_bad_config(tmp_path, processes: Processes) -> None:  # type: ignore[no-untyped-def]
    ok = processes.run(
        python_m("telemetry.broker_acl", "--config", DEMO), timeout=60, cwd=PROJECT_ROOT
    )
    assert ok.returncode == 0, ok.stderr
    assert "user hanam-gw-a\ntopic write energy/v1/hanam-ic/hanam-gw-a/#" in ok.stdout
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites:\n  - id: Bad Site\n")
    failed = processes.run(
        python_m("telemetry.broker_acl", "--config", bad), timeout=60, cwd=PROJECT_ROOT
    )
    assert failed.returncode == 2
    assert "sites.yaml" in failed.stderr and failed.stdout == ""
