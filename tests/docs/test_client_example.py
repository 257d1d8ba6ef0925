"""docs/examples/dong_electricity.py, run as a civic developer runs it, against the real API
process over real stores: it fetches a dong's monthly electricity as CSV and plots it."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from matplotlib import image

from telemetry.paths import PROJECT_ROOT
from tests.support.processes import Processes
from tests.support.served_api import ServedApi, served_api  # noqa: F401 (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

EXAMPLE = PROJECT_ROOT / "docs/examples/dong_electricity.py"
BAR = np.array([0x2F, 0x6D, 0xB5]) / 255  # the example's bar colour


def _published_dong(base: str) -> tuple[str, dict[str, float]]:
    """A dong with published monthly electricity, and its kWh per month, from the JSON."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    params = {"level": "dong", "every": "month", "utility": "electricity"}
    params |= {"start": start.isoformat(), "end": end.isoformat()}
    rows = httpx.get(f"{base}/v1/open-data/consumption.json", params=params, timeout=30)
    ok = [r for r in rows.json()["rows"] if r["status"] == "ok" and r["consumption_kwh"]]
    assert ok, rows.text
    dong = ok[0]["dong_code"]
    return dong, {r["period_start"][:7]: r["consumption_kwh"] for r in ok if r["dong_code"] == dong}


def test_the_example_fetches_a_dongs_months_and_plots_them(
    served_api: ServedApi,  # noqa: F811 (fixture)
    processes: Processes,
    tmp_path: Path,
) -> None:
    dong, expected = _published_dong(served_api.base)
    out = tmp_path / "dong.png"
    argv = [sys.executable, EXAMPLE, "--base", served_api.base, "--dong", dong]
    done = processes.run([*argv, "--months", "2", "--out", out], cwd=tmp_path)
    assert done.returncode == 0, done.stderr + served_api.log_tail()
    # What it printed is the API's own figures for that dong, month by month.
    printed = {
        line.split()[0]: float(line.split()[2])
        for line in done.stdout.splitlines()
        if line[:4].isdigit() and " ok " in line
    }
    assert printed == pytest.approx(expected)
    # The plot: a PNG of the example's size, with bars drawn (pixels of the bar colour).
    pixels = image.imread(out)
    assert pixels.shape[:2] == (450, 800)
    bar = np.all(np.abs(pixels[:, :, :3] - BAR) < 0.02, axis=2)
    assert bar.sum() > 2_000, bar.sum()
    assert pixels[:, :, :3].std() > 0.05

    unknown = processes.run([*argv[:-1], "9999999999", "--out", tmp_path / "none.png"])
    assert unknown.returncode == 1 and "no published electricity" in unknown.stderr
    assert not (tmp_path / "none.png").exists()
