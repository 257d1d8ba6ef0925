"""Alert evaluation cost per pass at 1x and 10x meters, and the ratio.

One run, one InfluxDB (devstack, in a temporary directory):
  for scale in 1x, 10x:
    - a synthetic registry of `sites * scale` sites, each with an electricity
      and a water meter listed (so the stale rule knows their poll intervals)
      and one agent with a status;
    - readings in the collector's format: one per meter per minute for the
      last 20 minutes, and the water meters every 10 minutes over last night;
    - the rules of every kind built so far (stale, agent offline, threshold,
      leak, data quality) over all sites, state in a fresh SQLite database.
  Passes alternate between the scales (after one warm-up pass each), so load
  from other processes falls on both alike.
Prints ms per pass per scale, per meter, and the ratio 10x/1x.

    python -m bench.bench_alerts [--sites 50] [--passes 10]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from alerts.evaluate import Evaluator
from alerts.events import EventLog
from alerts.observers import Store, night
from alerts.rules import LeakRule, RulesFile
from bench.synthetic_city import write
from devstack import InfluxServer
from telemetry.db import make_engine
from telemetry.db.migrate import upgrade
from telemetry.influxql import InfluxQL
from telemetry.registry import Registry, load_geography, load_registry

MINUTE = 60_000
RULES = {
    "rules": [
        {"id": "stale", "kind": "stale", "severity": "major", "nodata": "alert"},
        {"id": "offline", "kind": "agent_offline", "severity": "critical", "nodata": "alert"},
        {"id": "hot", "kind": "threshold", "severity": "warning", "utility": "electricity",
         "above": 45, "clear": 40, "pending": "5m", "nodata": "ok"},
        {"id": "leak", "kind": "leak", "severity": "major", "above": 0.5, "nodata": "keep_state"},
        {"id": "dq", "kind": "data_quality", "severity": "minor", "above": 0.2, "nodata": "ok"},
    ]
}  # fmt: skip


def sites_yaml(n_sites: int) -> str:
    dongs = sorted(load_geography().dongs.values(), key=lambda d: d.code)
    out = ["sites:\n"]
    for i in range(n_sites):
        dong = dongs[i % len(dongs)]
        meters = "".join(
            f"          - {{id: {u}-1, utility: {u}, profile: {p}, poll_interval_s: 60,\n"
            f"             connection: {{type: tcp, host: 127.0.0.1, port: {20000 + i}, unit: {n}}}}}\n"
            for n, (u, p) in enumerate(
                [("electricity", "eastron_sdm630"), ("water", "gw_water_mbus_v1")], 1
            )
        )
        out.append(
            f"  - id: s{i:05d}\n    name_ko: s{i}\n    name_en: s{i}\n    kind: public_building\n"
            f'    district: "{dong.district}"\n    dong: "{dong.code}"\n    building_type: public\n'
            f"    agents:\n      - id: s{i:05d}-gw\n        meters:\n{meters}"
        )
    return "".join(out)


def lines(registry: Registry, now: datetime) -> list[str]:
    now_ms = int(now.timestamp() * 1000)
    recent = [now_ms - now_ms % MINUTE - i * MINUTE for i in range(20, 0, -1)]
    leak = LeakRule(id="l", kind="leak", severity="major", above=1, nodata="ok")
    start, end = night(leak, now_ms)
    nightly = list(range(start, end, 10 * MINUTE))
    out = []
    for n, site in enumerate(registry.sites.values()):
        tags = f"site={site.id},district={site.district},dong={site.dong},building_type=public"
        power = 30.0 + n % 25
        for i, ts in enumerate(recent):
            quality = "bad" if n % 10 == 0 and i % 2 else "good"
            out.append(f"electricity,meter=electricity-1,{tags},quality={quality} "
                       f"energy_kwh={1000 + i},power_kw={power} {ts}")  # fmt: skip
            out.append(
                f"water,meter=water-1,{tags},quality=good volume_m3={50 + i},flow_m3h=0.4 {ts}"
            )
        for ts in nightly:
            flow = 0.8 if n % 20 == 0 else 0.0
            out.append(f"water,meter=water-1,{tags},quality=good volume_m3=40,flow_m3h={flow} {ts}")
        out.append(
            f'agent_status,site={site.id},agent={site.id}-gw state="online",online=1 {recent[-1]}'
        )
    return out


def setup(root: Path, influx: InfluxServer, n_sites: int, now: datetime) -> Evaluator:
    sites = root / f"sites_{n_sites}.yaml"
    sites.write_text(sites_yaml(n_sites), encoding="utf-8")
    registry = load_registry(sites)
    db_name = f"bench_{n_sites}"
    influx.create_database(db_name)
    write(influx.url, db_name, lines(registry, now))
    db_url = f"sqlite:///{root / f'alerts_{n_sites}.sqlite'}"
    upgrade(db_url)
    source = Store(InfluxQL(influx.url, timeout_s=120), db_name, registry)
    events = EventLog(influx.url, "", "gwangju", db_name)
    return Evaluator(RulesFile.model_validate(RULES), source, make_engine(db_url), events)


def main(
    sites: Annotated[int, typer.Option("--sites", help="sites at 1x (two meters each)")] = 50,
    passes: Annotated[int, typer.Option("--passes", help="timed passes per scale")] = 10,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        influx = InfluxServer(root / "influx").start()
        try:
            scales = [setup(root, influx, sites * k, now) for k in (1, 10)]
            times: list[list[float]] = [[], []]
            for ev in scales:
                ev.run_pass(now)  # warm-up: first firings and NoData rows written
            for i in range(passes):
                for ev, out in zip(scales, times, strict=True):
                    at = now + timedelta(seconds=i + 1)
                    t = time.perf_counter()
                    ev.run_pass(at)
                    out.append((time.perf_counter() - t) * 1000)
        finally:
            influx.stop()
    one, ten = (statistics.median(t) for t in times)
    print(f"alerts evaluation, {len(RULES['rules'])} rules, median of {passes} passes")
    for label, meters, ms in (("1x", sites * 2, one), ("10x", sites * 20, ten)):
        print(
            f"  {label:>3}: {meters:6d} meters  {ms:8.1f} ms/pass  {ms / meters * 1000:7.1f} µs/meter"
        )
    print(f"  ratio 10x/1x: {ten / one:.2f} (linear would be 10)")


if __name__ == "__main__":
    typer.run(main)
