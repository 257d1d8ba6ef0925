"""End to end: simulated meters → edge agents → Mosquitto → collector → InfluxDB →
rollup → API, every stage its real `python -m` process; one meter is replaced
(counter back to zero) mid-run. District and dong totals from the API equal a
brute-force computation over the raw readings the collector stored."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from devstack import InfluxServer, MosquittoServer, flags, free_port
from telemetry.influx_schema import rollup_from
from telemetry.influxql import InfluxQL
from telemetry.paths import PROJECT_ROOT
from telemetry.rounding import round_figure
from tests.rollup import brute
from tests.rollup.conftest import fresh_db, run_rollup
from tests.support.processes import start_logged, stop
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.timeout(150), pytest.mark.slow]
SITES = ("pungam-lh-apt", "munheung-apt")  # 840 and 1,200 households: public groups
REPLACED = ("pungam-lh-apt", "blk101-elec")
HOUR = 3_600_000


def e2e_sites(directory: Path) -> Path:
    """Two demo sites on free ports, polled every second."""
    demo = yaml.safe_load((PROJECT_ROOT / "config/sites/demo.yaml").read_text(encoding="utf-8"))
    sites = [s for s in demo["sites"] if s["id"] in SITES]
    ports: dict[int, int] = {}
    for site in sites:
        for agent in site["agents"]:
            for meter in agent.get("meters", []):  # an importer agent polls none
                conn = meter["connection"]
                conn["port"] = ports.setdefault(conn["port"], free_port())
                meter["poll_interval_s"] = 1
    path = directory / "sites.yaml"
    profiles = str(PROJECT_ROOT / "config/profiles")
    path.write_text(yaml.safe_dump({"profiles_dir": profiles, "sites": sites}), encoding="utf-8")
    return path


class Procs:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        proc = start_logged([sys.executable, "-m", *argv], self.workdir / f"{name}.log")
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def stop(self, name: str) -> None:
        stop(self.procs[name], 15)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    p = Procs(tmp_path)
    try:
        yield p
    finally:
        p.stop_all()


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _count(ql: InfluxQL, db: str, where: str) -> int:
    rows = ql.rows(f"SELECT count(energy_kwh) FROM electricity WHERE {where}", db)
    return int(rows[0]["count"]) if rows else 0


def test_simulators_to_api(rollup_influx: InfluxServer, tmp_path: Path, procs: Procs) -> None:
    sites = e2e_sites(tmp_path)
    broker = MosquittoServer(tmp_path / "mosquitto")
    broker.start()
    try:
        _run_chain(rollup_influx, broker, sites, tmp_path, procs)
    finally:
        procs.stop_all()
        broker.stop()


def _run_chain(
    influx: InfluxServer, broker: MosquittoServer, sites: Path, tmp: Path, procs: Procs
) -> None:
    raw, public = fresh_db(influx, "e2e_raw"), fresh_db(influx, "e2e_pub")
    ql = InfluxQL(influx.url)
    control = tmp / "faults.json"
    control.write_text(json.dumps({"faults": {}}), encoding="utf-8")
    procs.start(
        "simulators", "simulators", "serve", "--config", str(sites), "--control", str(control)
    )
    wait_until(lambda: "READY" in procs.log("simulators"), 30, "simulators READY")
    health = free_port()
    collector = flags(
        config=sites,
        mqtt_url=broker.url,
        influx_url=influx.url,
        influx_bucket=raw,
        instance="e2e",
        health_port=health,
        flush_interval=0.2,
    )
    procs.start("collector", "collector", "run", *collector)
    wait_until(lambda: _http_ok(f"http://127.0.0.1:{health}/readyz"), 30, "collector ready")
    for agent in ("pungam-gw", "munheung-gw"):
        procs.start(
            agent,
            "edge_agent",
            "--config",
            str(sites),
            "--agent",
            agent,
            "--mqtt-url",
            broker.url,
            "--outbox",
            str(tmp / f"{agent}.sqlite"),
            "--cycle",
            "1",
        )
    replaced = f"site = '{REPLACED[0]}' AND meter = '{REPLACED[1]}'"
    wait_until(
        lambda: _count(ql, raw, replaced) >= 5,
        60,
        f"5 readings of the meter to replace\n{procs.log('collector')}",
    )

    # Replace the meter: its counter starts again from zero.
    control.write_text(json.dumps({"faults": {"/".join(REPLACED): "reset"}}), encoding="utf-8")
    after = f"{replaced} AND quality = 'uncertain'"
    wait_until(lambda: _count(ql, raw, after) >= 1, 30, "the reset reaching InfluxDB")
    seen = _count(ql, raw, replaced)
    wait_until(lambda: _count(ql, raw, replaced) >= seen + 4, 30, "readings after the reset")
    for agent in ("pungam-gw", "munheung-gw"):
        procs.stop(agent)
    # Everything the agents sent is stored once the collector has flushed.
    stable = [-1]

    def settled() -> bool:
        n = _count(ql, raw, "time > now() - 1h")
        done, stable[0] = n == stable[0], n
        return done

    wait_until(settled, 30, "the collector to flush")
    procs.stop("collector")

    run_rollup(influx.url, raw, public, sites)
    _check_api(influx, ql, raw, public, sites, procs)


def _check_api(
    influx: InfluxServer, ql: InfluxQL, raw: str, public: str, sites: Path, procs: Procs
) -> None:
    resets = ql.rows(
        f"SELECT sum(resets) FROM {rollup_from('meter_consumption_1h')} WHERE site = '{REPLACED[0]}' "
        f"AND meter = '{REPLACED[1]}'",
        raw,
    )
    assert resets and resets[0]["sum"] == 1
    port = free_port()
    api = flags(
        port=port,
        config=sites,
        influx_url=influx.url,
        influx_bucket=raw,
        influx_public_bucket=public,
    )
    procs.start("api", "api", *api)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _http_ok(f"{base}/v1/districts"), 30, f"api\n{procs.log('api')}")

    expected = brute.hourly_consumption(ql, raw)
    hours = sorted({key[-1] for key in expected})
    start = time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime(hours[0] / 1000))
    end = time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime(hours[-1] / 1000 + 3600))
    span = {"every": "hour", "start": start, "end": end}
    checked = 0
    for district, dong in (("29140", "2914083000"), ("29170", "2917065600")):
        for path, group in (
            (f"/v1/districts/{district}/consumption", (district, "all", "all")),
            (f"/v1/districts/{district}/dongs/{dong}/consumption", (district, dong, "all")),
        ):
            body = httpx.get(f"{base}{path}", params=span, timeout=10).json()
            got = {p["start"]: p["consumption"] for p in body["points"] if p["status"] == "ok"}
            want = {
                h: v
                for (u, *g, h), v in expected.items()
                if u == "electricity" and tuple(g) == group
            }
            assert len(got) == len(want) > 0, (path, body)
            # The API rounds each figure for people (telemetry.rounding); the sums agree to that.
            in_time_order = [got[start] for start in sorted(got)]
            assert in_time_order == [round_figure(want[h], "kWh") for h in sorted(want)], path
            checked += 1
    assert checked == 4
    # Live minutes were rolled up too (the API shows only complete minutes, and the
    # run may not have crossed one): every electricity meter counted in the city.
    live = ql.rows(
        "SELECT max(meters) FROM live_1m WHERE utility = 'electricity' AND district = 'all' "
        "AND building_type = 'all'",
        public,
    )
    assert live and live[0]["max"] == 3  # blk101-elec, blk102-elec, main-elec
