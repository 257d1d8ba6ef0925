"""`python -m dashboards push`: organisations, data sources, folders, boards; idempotent.

Grafana cannot run on this machine, so these run against tests/dashboards/fake_grafana.py
(an in-memory double of the few API routes used) through the real grafana-client.
"""

from __future__ import annotations

import pytest

from dashboards.build import GENERATED_DIR
from dashboards.check import load_boards
from dashboards.datasources import CITIZENS_ORG_NAME, PUBLIC, STAFF
from dashboards.push import PushError, push
from telemetry.paths import PROJECT_ROOT
from tests.dashboards.fake_grafana import FakeGrafana
from tests.support.processes import Processes, python_m

# FakeGrafana is an HTTP server on a local port.
pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("local_servers")]
INFLUX = "http://influxdb:8086"


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {STAFF.token_env: "staff-read-token", PUBLIC.token_env: "citizens-read-token"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    return values


def test_push_creates_everything_in_the_right_organisation(tokens: dict[str, str]) -> None:
    with FakeGrafana() as grafana:
        list(push(grafana.url, INFLUX, GENERATED_DIR))
        state = grafana.state
    citizens_org = next(i for i, n in state.orgs.items() if n == CITIZENS_ORG_NAME)
    assert citizens_org != 1
    assert set(state.datasources) == {(1, STAFF.uid), (citizens_org, PUBLIC.uid)}
    public = state.datasources[(citizens_org, PUBLIC.uid)]
    assert public["secureJsonData"]["httpHeaderValue1"] == f"Token {tokens[PUBLIC.token_env]}"
    assert public["jsonData"]["dbName"] == "energy_public" and public["url"] == INFLUX
    boards = {b["uid"] for b in load_boards()}
    assert {uid for _, uid in state.dashboards} == boards
    for (org, uid), saved in state.dashboards.items():
        assert (org == citizens_org) == uid.startswith("citizens-"), uid
        assert saved["dashboard"]["id"] is None


def test_second_push_creates_nothing_and_changes_nothing(tokens: dict[str, str]) -> None:
    with FakeGrafana() as grafana:
        list(push(grafana.url, INFLUX, GENERATED_DIR))
        before = (
            dict(grafana.state.datasources),
            dict(grafana.state.folders),
            dict(grafana.state.dashboards),
            dict(grafana.state.orgs),
        )
        creates = len(grafana.state.creates())
        lines = list(push(grafana.url, INFLUX, GENERATED_DIR))
        after = (
            grafana.state.datasources,
            grafana.state.folders,
            grafana.state.dashboards,
            grafana.state.orgs,
        )
        assert len(grafana.state.creates()) == creates  # no POST /api/orgs, /datasources, /folders
    assert before == after
    assert not any("created" in line for line in lines)


def test_only_citizens_leaves_the_provisioned_staff_side_alone(tokens: dict[str, str]) -> None:
    with FakeGrafana() as grafana:
        list(push(grafana.url, INFLUX, GENERATED_DIR, only="citizens"))
        state = grafana.state
    assert all(
        org != 1
        for _method, path, org in state.calls
        if path != "/api/orgs" and not path.startswith("/api/orgs/") and path != "/api/user"
    )
    assert all(uid.startswith("citizens-") for _, uid in state.dashboards)


def test_missing_token_is_named(monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    monkeypatch.delenv(PUBLIC.token_env)
    with FakeGrafana() as grafana, pytest.raises(PushError, match=PUBLIC.token_env):
        list(push(grafana.url, INFLUX, GENERATED_DIR))


def test_wrong_credentials_fail_with_a_clear_message(tokens: dict[str, str]) -> None:
    with FakeGrafana() as grafana:
        url = grafana.url.replace("secret", "wrong")
        with pytest.raises(PushError, match=r"Grafana at http://\*\*\*@127\.0\.0\.1"):
            list(push(url, INFLUX, GENERATED_DIR))


def test_cli_push(tokens: dict[str, str], processes: Processes) -> None:
    with FakeGrafana() as grafana:
        done = processes.run(  # this environment: the tokens are in it
            python_m("dashboards", "push", "--grafana-url", grafana.url, "--influx-url", INFLUX),
            timeout=60,
            cwd=PROJECT_ROOT,
        )
        assert done.returncode == 0, done.stderr
        assert len(grafana.state.dashboards) == len(load_boards())
    assert "board citizens-city: saved" in done.stdout
