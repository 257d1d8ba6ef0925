"""Registry load time with 5,000 and 50,000 households in support programmes.

Writes a sites file (the demo's four sites), a programmes file and a
households file of N households (a third at the apartment complexes, the
rest standalone in Gwangju's dongs, most with one or two enrolments) into a
temporary directory, then times `load_registry` (YAML with lines, pydantic,
cross-checks) over a few repetitions per size, alternating the sizes so that
other load on the machine falls on both alike. Prints households/s per size
and the ratio 50,000 vs 5,000 of wall and CPU time (linear: 10).

    python -m bench.bench_registry [--small 5000] [--large 50000] [--repeat 3]
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from telemetry.paths import config_dir
from telemetry.registry import load_geography, load_registry

SIZES = ["lt40", "40-60", "60-85", "85-135", "ge135"]
PROGRAMMES = ("green-remodel-2026", "balcony-solar-2026", "energy-voucher-2026")


def households_yaml(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    dongs = sorted(load_geography().dongs)
    out = ["version: 1\nhouseholds:\n"]
    for i in range(n):
        if i % 3 == 0:
            where = f"site: {rng.choice(('pungam-lh-apt', 'munheung-apt'))}"
            kind = "apartment"
        else:
            where = f'dong: "{rng.choice(dongs)}"'
            kind = rng.choice(("apartment", "detached_house"))
        out.append(
            f"  - id: hh-{i:06d}\n    {where}\n    building_type: {kind}\n"
            f"    size_band: {rng.choice(SIZES)}\n"
        )
        picked = rng.sample(PROGRAMMES, rng.choice((0, 1, 1, 2)))
        if picked:
            out.append("    enrolments:\n")
        for programme in picked:
            out.append(
                f"      - programme: {programme}\n        start: 2026-{rng.randint(4, 12):02d}-01\n"
                "        measures: [LED lighting]\n"
            )
    return "".join(out)


def write_registry(directory: Path, n: int) -> Path:
    demo = (config_dir() / "sites" / "demo.yaml").read_text(encoding="utf-8")
    demo = demo.replace("../programmes.yaml", "programmes.yaml")
    demo = demo.replace("../households/demo.yaml", "households.yaml")
    demo = demo.replace("sites:\n", f"profiles_dir: {config_dir() / 'profiles'}\nsites:\n", 1)
    (directory / "programmes.yaml").write_text(
        (config_dir() / "programmes.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (directory / "households.yaml").write_text(households_yaml(n), encoding="utf-8")
    sites = directory / "sites.yaml"
    sites.write_text(demo, encoding="utf-8")
    return sites


def main(
    small: Annotated[int, typer.Option(help="households in the baseline")] = 5_000,
    large: Annotated[int, typer.Option(help="households in the large registry")] = 50_000,
    repeat: Annotated[int, typer.Option(help="loads per size")] = 3,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for n in (small, large):
            (Path(tmp) / str(n)).mkdir()
            paths[n] = write_registry(Path(tmp) / str(n), n)
            size = (paths[n].parent / "households.yaml").stat().st_size
            print(f"{n:>7} households: households file {size / 1e6:.1f} MB")
        times: dict[int, list[float]] = {small: [], large: []}
        cpu: dict[int, list[float]] = {small: [], large: []}
        for _ in range(repeat):
            for n in (small, large):
                t0, c0 = time.perf_counter(), time.process_time()
                registry = load_registry(paths[n])
                times[n].append(time.perf_counter() - t0)
                cpu[n].append(time.process_time() - c0)
                assert len(registry.households.households) == n
    for n in (small, large):
        best = min(times[n])
        print(
            f"{n:>7} households: load {best:.2f} s best, {statistics.median(times[n]):.2f} s "
            f"median (CPU {min(cpu[n]):.2f} s) -> {n / best:,.0f} households/s"
        )
    print(
        f"ratio {large:,} vs {small:,}: {min(times[large]) / min(times[small]):.1f}x time, "
        f"{min(cpu[large]) / min(cpu[small]):.1f}x CPU (linear: {large / small:.0f}x)"
    )


if __name__ == "__main__":
    typer.run(main)
