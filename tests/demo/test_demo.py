"""The one-command demo, started as a user would, until the API shows live, changing city data."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devstack import component_env
from devstack.platform import modbus_ports
from devstack.ports import free_offset, free_port, port_open
from devstack.supervisor import PROJECT_ROOT
from tests.support.processes import Processes
from tests.support.waiting import true_within, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

API_DEADLINE_S = 90.0
CHANGE_DEADLINE_S = 75.0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


def _pids(output: str) -> dict[str, int]:
    """process name -> pid from the demo's "Running:" table."""
    pids = {}
    for line in output.split("Running:", 1)[-1].splitlines():
        match = re.match(r"^(\S[\w\-() +]*?)\s{2,}(\d+)\s", line)
        if match:
            pids[match[1].strip()] = int(match[2])
    return pids


def _live(base: str) -> dict | None:
    """The city's live figures, once at least one utility has a measured rate."""
    try:
        response = httpx.get(f"{base}/v1/city/live", timeout=5)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    body = response.json()
    return body if _rates(body) else None


def _rates(body: dict) -> dict[str, float]:
    """utility -> city-wide rate, for the utilities that have one."""
    return {
        u["utility"]: u["rate"]
        for u in body.get("utilities", [])
        if isinstance(u.get("rate"), int | float) and u["rate"] > 0
    }


def test_demo_serves_live_changing_city_data_and_stops_cleanly(
    tmp_path: Path, processes: Processes
) -> None:
    api_port = free_port()
    log = tmp_path / "demo.out"
    argv = [
        sys.executable,
        "-m",
        "devstack.demo",
        "--workdir",
        str(tmp_path / "demo"),
        "--port-offset",
        str(free_offset(set(modbus_ports(PROJECT_ROOT / "config/sites/demo.yaml")))),
        "--api-port",
        str(api_port),
        "--speed",
        "30",
    ]
    env = component_env()
    with log.open("wb") as out:
        demo = processes.adopt(
            subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, env=env)
        )
    base = f"http://127.0.0.1:{api_port}"
    pids: dict[str, int] = {}
    try:
        first = _poll(lambda: _live(base), API_DEADLINE_S, demo, log, "live city data")
        second = _poll(
            lambda: (b := _live(base)) is not None and b["minute"] != first["minute"] and b,
            CHANGE_DEADLINE_S,
            demo,
            log,
            "a newer live minute",
        )
        # A new minute with figures of its own: the simulated load moves all the time.
        assert second["minute"] > first["minute"]
        assert _rates(second) != _rates(first)
        # The board runs on the demo's platform database, with the example posts.
        assert f"Board:      {base}/board" in log.read_text()
        board = httpx.get(f"{base}/board", timeout=10)
        assert board.status_code == 200 and "지하주차장 조명을 LED로 바꿔 주세요" in board.text
        # One staff account per role, its password printed once, and where to sign in.
        printed = log.read_text()
        assert f"Sign in at {base}/staff/signin" in printed
        admin = re.search(r"^demo-administrator\s+administrator\s+(\S+)$", printed, re.M)
        assert admin is not None, printed[-2000:]
        signin = httpx.post(
            f"{base}/v1/staff/signin",
            json={"name": "demo-administrator", "password": admin[1]},
            timeout=10,
        )
        assert signin.status_code == 200 and signin.json()["roles"] == ["administrator"]
        # The facility manager's live page and the operators' page, with their accounts.
        manager = re.search(
            rf"^Facility manager's live page: {re.escape(base)}(/facility/[a-z0-9._-]+)  "
            r"\(sign in as (\S+), password (\S+)\)$", printed, re.M,
        )  # fmt: skip
        operator = re.search(
            rf"^Operators' fleet page: +{re.escape(base)}/operations  "
            r"\(sign in as (\S+), password (\S+)\)$", printed, re.M,
        )  # fmt: skip
        assert manager is not None and operator is not None, printed[-2000:]
        for path, name, password in ((manager[1], manager[2], manager[3]),
                                     ("/operations", operator[1], operator[2])):  # fmt: skip
            with httpx.Client(base_url=base, timeout=10) as person:
                r = person.post("/v1/staff/signin", json={"name": name, "password": password})
                assert r.status_code == 200, r.text
                page = person.get(path)
                assert page.status_code == 200, (path, page.status_code)
        # The demo's units and tenancies: the new tenant's link opens its page, and two codes
        # for units written as people write them.
        page = re.search(r"^\s+page:\s+(\S+)$", printed, re.M)
        assert page is not None and page[1].startswith(f"{base}/household?token=h3~t."), printed
        assert httpx.get(page[1], timeout=10).status_code == 200
        assert len(re.findall(r"Code: \S+", printed)) == 2
        assert "Household: 102-407" in printed
        pids = _pids(log.read_text())
        expected = {"mosquitto", "influxd", "collector", "rollup", "api", "simulators"}
        assert expected <= set(pids), f"missing from the process table: {expected - set(pids)}"
        assert sum(name.startswith("agent-") for name in pids) == 5
        assert all(_alive(pid) for pid in pids.values())
        # A child that dies is reported, with its name and pid.
        victim = next(name for name in pids if name.startswith("agent-"))
        os.kill(pids[victim], signal.SIGKILL)
        report = f"!! {victim} (pid {pids[victim]}) exited"
        _poll(lambda: report in log.read_text(), 15.0, demo, log, f"report {report!r}")
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            code = demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
    output = log.read_text()
    assert code == 0, output[-3000:]
    assert "Stopped." in output
    true_within(lambda: not any(_alive(p) for p in pids.values()), 10, 0.2)
    left = {name: pid for name, pid in pids.items() if _alive(pid)}
    assert left == {}, f"still running after Ctrl-C: {left}"
    assert not port_open("127.0.0.1", api_port)


def _poll(
    probe,
    deadline_s: float,
    demo: subprocess.Popen[bytes],
    log: Path,  # type: ignore[no-untyped-def]
    what: str = "live data from the API",
):
    """Poll probe until it returns something truthy; fail naming `what` after the deadline."""
    return wait_until(
        probe,
        deadline_s,
        what,
        interval=1.0,
        logs=lambda: f"{log.read_text()[-3000:]}\n{json.dumps(_pids(log.read_text()))}",
        give_up=lambda: demo.poll() is not None and f"demo exited with {demo.returncode}",
    )
