"""`--write-config`: the fleet's sites and agents as a sites file `load_registry` accepts.

Meters are left out: the cloud accepts any well-formed meter id an agent
reports under its own site (DESIGN.md), and the fleet has no Modbus
connections to describe. Each site says how many meters it reports
(`expected_meters`), so the collector's per-site meter limit admits them all.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simulators.fleet.plan import FleetAgent


def sites_document(fleet: list[FleetAgent]) -> dict:
    sites = []
    for a in fleet:
        site: dict = {
            "id": a.site,
            "name_ko": f"시뮬레이션 {a.site}",
            "name_en": f"Simulated {a.site}",
            "kind": a.kind,
            "district": a.district,
            "dong": a.dong,
            "building_type": a.building_type,
            "phase": 3,
            "simulated": True,  # every figure resting on it says so
        }
        if a.households is not None:
            site["households"] = a.households
        site["expected_meters"] = len(a.meters)
        site["agents"] = [{"id": a.agent, "name": f"Simulated agent of {a.site}"}]
        sites.append(site)
    return {"sites": sites}


# Top-level keys of a sites file naming other files relative to it.
RELATIVE_KEYS = ("profiles_dir", "programmes", "households", "units")


def with_base(document: dict, base: Path) -> dict:
    """The fleet's sites after those of a sites file `base` (its other keys kept, its
    relative paths made absolute so the result can live anywhere): a demo's real sites
    and a simulated city in one registry."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    merged = yaml.load(base.read_text(encoding="utf-8"), Loader=loader)
    for key in RELATIVE_KEYS:
        if isinstance(merged.get(key), str) and not Path(merged[key]).is_absolute():
            merged[key] = str((base.resolve().parent / merged[key]).resolve())
    merged["sites"] = [*merged.get("sites", []), *document["sites"]]
    return merged


def write_sites_file(
    path: Path, fleet: list[FleetAgent], header: str, base: Path | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = sites_document(fleet)
    if base is not None:
        document = with_base(document, base)
    # libyaml's emitter when present: the pure-Python one took 22 s for 50,000 sites
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(document, Dumper=dumper, allow_unicode=True, sort_keys=False)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"# {header}\n{text}", encoding="utf-8")
    tmp.replace(path)
