"""The pieces of a files → importer → collector → rollup → API chain, each a real process:
a registry with one standalone household and one in an apartment complex (whose complex
the importer agent belongs to), imports waited for until stored, and the API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack import flags, free_port
from tests.collector.helpers import REPO, CollectorProc
from tests.importers.procs import imported, run_import, written
from tests.support.waiting import wait_until

KEY = "e2e-household-signing-key"
AGENT, COMPLEX = "pungam-import", "pungam-lh-apt"
STANDALONE, AT_COMPLEX = "hakun-0007", "pungam-101-1203"
HAKUN = ("29110", "2911071000")  # 동구 학운동
PUNGAM = ("29140", "2914083000")  # 서구 풍암동
SITES = f"""\
programmes: programmes.yaml
households: households.yaml
sites:
  - id: {COMPLEX}
    name_ko: 풍암 LH 국민임대아파트
    name_en: Pungam LH Public Rental Apartments
    kind: apartment_complex
    district: "{PUNGAM[0]}"
    dong: "{PUNGAM[1]}"
    building_type: apartment
    households: 840
    agents:
      - {{id: {AGENT}, kind: importer, name: Utilities' data importer}}
"""
HOUSEHOLDS = f"""\
households:
  - {{id: {STANDALONE}, dong: "{HAKUN[1]}", building_type: detached_house, size_band: 60-85}}
  - {{id: {AT_COMPLEX}, site: {COMPLEX}, building_type: apartment, size_band: 40-60}}
"""
PROGRAMMES = """\
programmes:
  - {id: green-remodel, name_ko: 그린 리모델링, name_en: Green remodelling, kind: retrofit,
     start: 2020-01-01}
"""


def write_registry(directory: Path) -> Path:
    (directory / "programmes.yaml").write_text(PROGRAMMES, encoding="utf-8")
    (directory / "households.yaml").write_text(HOUSEHOLDS, encoding="utf-8")
    sites = directory / "sites.yaml"
    sites.write_text(SITES, encoding="utf-8")
    return sites


def import_file(
    collector: CollectorProc,
    broker: str,
    state: Path,
    sites: Path,
    fmt: str,
    path: Path,
    *extra: str,
    readings: int,
) -> str:
    """Import `path`, wait until the collector wrote it; the importer's output (its receipt)."""
    before = written(collector)
    run = run_import(fmt, path, broker, state, "--config", str(sites), *extra)
    assert run.code == 0, run.stdout + run.stderr
    assert f"{readings} readings" in run.stdout, run.stdout
    imported(collector, before, readings)
    return run.stdout


def _api_ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/v1/districts", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def running_api(work: Path, sites: Path, influx_url: str, raw: str, public: str) -> Iterator[str]:
    """`python -m api` on the chain's stores; its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "api"]
    argv += flags(
        port=port, config=sites, influx_url=influx_url, influx_bucket=raw,
        influx_public_bucket=public,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENERGY_API_SIGNING_KEY": KEY}
    log_path = work / "api.log"
    with log_path.open("ab") as log:
        api = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: _api_ready(base), 30, f"api\n{log_path.read_text()}")
            yield base
        finally:
            api.terminate()
            api.wait(15)
