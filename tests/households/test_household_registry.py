"""Households and programmes in the registry: the demo loads, look-ups, the one-pass YAML reader."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bench.bench_registry import households_yaml
from telemetry.config.yaml_lines import load_located
from telemetry.registry import load_registry

CASES = Path(__file__).parents[1] / "telemetry" / "config_cases"


def test_demo_households_and_programmes_load() -> None:
    homes = load_registry("config/sites/demo.yaml").households
    assert set(homes.programmes) == {
        "green-remodel-2026",
        "balcony-solar-2026",
        "energy-voucher-2026",
    }
    assert len(homes.households) == 5
    enrolled = {h.id for h in homes.enrolled_in("green-remodel-2026")}
    assert enrolled == {"pungam-101-1203", "hakun-0007"}
    standalone = homes.households["hakun-0007"]
    assert homes.cell_of(standalone) == ("2911071000", "detached_house")
    at_site = homes.households["pungam-101-1203"]
    assert homes.cell_of(at_site) == ("2914083000", "apartment")
    # An apartment complex's meters are the complex's, not one household's.
    assert homes.meters_of(at_site) == []


def test_a_household_site_is_its_household_and_its_meters(tmp_path: Path) -> None:
    case = CASES / "household_site_taken"  # a household site, a complex, an industrial site
    (tmp_path / "sites.yaml").write_text(
        (case / "sites.yaml").read_text(encoding="utf-8")
        + "  - {id: importer, name_ko: 가져오기, name_en: Importer, kind: public_building,\n"
        "     district: '29110', dong: '2911071000', building_type: public}\n",
        encoding="utf-8",
    )
    (tmp_path / "programmes.yaml").write_bytes((case / "programmes.yaml").read_bytes())
    (tmp_path / "households.yaml").write_text(
        "households:\n"
        "  - {id: kim, site: hh-kim, building_type: detached_house, size_band: 60-85,\n"
        "     enrolments: [{programme: retrofit, start: 2026-04-01, end: 2026-06-30},\n"
        "                  {programme: retrofit, start: 2026-09-01}]}\n"
        "  - {id: lee, site: pungam, building_type: apartment, size_band: 40-60,\n"
        "     meters: [u1203-elec, importer/lee-gas]}\n",
        encoding="utf-8",
    )
    homes = load_registry(tmp_path / "sites.yaml").households
    kim, lee = homes.households["kim"], homes.households["lee"]
    assert homes.of_site("hh-kim") == kim
    assert homes.of_site("pungam") is None
    assert homes.meters_of(kim) == [("hh-kim", None)]
    assert homes.meters_of(lee) == [("pungam", "u1203-elec"), ("importer", "lee-gas")]
    assert homes.enrolment_on(kim, dt.date(2026, 5, 1)).end == dt.date(2026, 6, 30)
    assert homes.enrolment_on(kim, dt.date(2026, 7, 1)) is None
    assert homes.enrolment_on(kim, dt.date(2027, 1, 1)).start == dt.date(2026, 9, 1)


def test_one_pass_reader_gives_what_pyyaml_gives(tmp_path: Path) -> None:
    text = (
        "a: &x {b: 1, c: [1, 2.5, null, yes, '1']}\n"
        "d:\n  <<: *x\n  e: 2017-01-02\n"
        "f: !!set {q, r}\n"
        "g: !!binary aGk=\n"
        "1: one\n"
    ) + households_yaml(50)
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    located = load_located(path)
    assert located.data == yaml.safe_load(text)
    assert located.line_of(("d", "e")) == 4
    lines = text.splitlines()
    item = next(i for i, ln in enumerate(lines) if "hh-000001" in ln) + 1
    assert located.line_of(("households", 1, "size_band")) == item + 3
