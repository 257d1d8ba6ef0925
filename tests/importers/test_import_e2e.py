"""Files in, through `python -m importers`, real MQTT and the real collector, into InfluxDB.

Expected figures are written out by hand from the files in files/ (not
computed by the importer's own code), so a wrong unit, multiplier or period
fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.collector.helpers import influx_rows
from tests.importers.conftest import Stack
from tests.importers.procs import FILES, imported, points, run_import, written

pytestmark = pytest.mark.timeout(240)

T0 = 1_790_812_800_000  # 2026-10-01T00:00:00Z, ms
H, D = 3_600_000, 86_400_000
KST_SEP1 = 1_788_188_400_000  # 2026-09-01T00:00 KST = 2026-08-31T15:00Z


def _series(rows: list[dict], field: str) -> list[tuple[int, float]]:
    return [(r["time"], r[field]) for r in rows if r.get(field) is not None]


def _hourly(start: int, values: list[float]) -> list[tuple[int, float]]:
    return [(start + i * H, v) for i, v in enumerate(values)]


def _daily(start: int, values: list[float]) -> list[tuple[int, float]]:
    return [(start + i * D, v) for i, v in enumerate(values)]


def _approx(rows: list[tuple[int, float]]) -> list:
    return [(t, pytest.approx(v, rel=1e-12, abs=1e-12)) for t, v in rows]


def _import(stack: Stack, fmt: str, name: str, readings: int, *extra: str) -> None:
    before = written(stack.collector)
    run = run_import(fmt, FILES / name, stack.broker.url, stack.workdir / "state", *extra)
    assert run.code == 0, run.stderr
    assert f"{readings} readings" in run.stdout
    imported(stack.collector, before, readings)


def test_green_button_direct_layout_stored_as_in_the_file(stack: Stack) -> None:
    _import(stack, "greenbutton", "gb_direct.xml", 12, "--household", "hh-d")
    url, db = stack.influx.url, stack.db
    elec = points(url, db, "electricity_interval", "hh-d-")
    assert {r["meter"] for r in elec} == {"hh-d-electricity"}
    # uom 72 (Wh), powerOfTenMultiplier 0: 450 Wh = 0.45 kWh
    assert _series(elec, "energy_kwh") == _approx(
        _hourly(T0, [0.45, 0.43, 0.418, 0.41, 0.52, 0.61])
    )
    # flowDirection 19, powerOfTenMultiplier 1: 12 x 10 Wh = 0.12 kWh exported
    assert _series(elec, "energy_export_kwh") == _approx(
        _hourly(T0, [0.0, 0.0, 0.12, 0.35, 0.48, 0.2])
    )
    assert {r["duration_s"] for r in elec} == {3600.0}
    gas = points(url, db, "gas_interval", "hh-d-")
    assert _series(gas, "volume_m3") == _approx(_daily(T0, [1.25, 0.98, 1.43]))  # litres x 10^-3
    water = points(url, db, "water_interval", "hh-d-")
    assert _series(water, "volume_m3") == _approx(_daily(T0, [0.31, 0.295, 0.402]))
    # Tags come from the importer agent's site in the registry.
    assert {(r["site"], r["district"], r["building_type"]) for r in elec + gas + water} == {
        ("pungam-lh-apt", "29140", "apartment")
    }
    # The span the message covered is marked for the rollups (late history to revisit).
    arrivals = influx_rows(url, 'SELECT * FROM "interval_arrivals"', db)
    assert [(a["site"], a["agent"], a["start_ms"], a["end_ms"]) for a in arrivals] == [
        ("pungam-lh-apt", "pungam-import", T0, T0 + 3 * D)
    ]


def test_green_button_containerized_layout_stored_as_in_the_file(stack: Stack) -> None:
    _import(stack, "greenbutton", "gb_containerized.xml", 15, "--household", "hh-c")
    url, db = stack.influx.url, stack.db
    elec = points(url, db, "electricity_interval", "hh-c-")
    assert _series(elec, "energy_kwh") == _approx(
        _hourly(T0 + D, [0.38, 0.36, 0.355, 0.4, 0.47, 0.59])
    )
    assert _series(elec, "energy_export_kwh") == _approx(
        _hourly(T0 + D, [0.0, 0.05, 0.2, 0.41, 0.39, 0.18])
    )
    gas = points(url, db, "gas_interval", "hh-c-")
    assert _series(gas, "volume_m3") == _approx(_daily(T0 + 3 * D, [1.1, 1.005, 1.32]))
    water = points(url, db, "water_interval", "hh-c-")
    assert _series(water, "volume_m3") == _approx(_daily(T0 + 3 * D, [0.28, 0.33, 0.3]))
    # uom 31 (J), powerOfTenMultiplier 6: 41 MJ = 41 / 3.6 kWh
    heat = points(url, db, "heat_interval", "hh-c-")
    assert _series(heat, "energy_kwh") == _approx(_daily(T0, [41 / 3.6, 38 / 3.6, 45 / 3.6]))
    assert {r["duration_s"] for r in heat} == {86400.0}


def test_bills_stored_in_canonical_units_per_billing_period(stack: Stack) -> None:
    _import(stack, "bills", "bills.csv", 7)
    url, db = stack.influx.url, stack.db
    elec = points(url, db, "electricity_interval", "hh-0101-electricity-bill")
    aug15, sep15 = KST_SEP1 - 17 * D, KST_SEP1 + 14 * D  # 2026-08-15 and 2026-09-15 00:00 KST
    assert _series(elec, "energy_kwh") == [(aug15, 312.5), (sep15, 287.0)]
    # The period runs to period_end inclusive: 2026-08-15..09-14 is 31 days.
    assert [r["duration_s"] for r in elec] == [31 * 86400.0, 30 * 86400.0]
    heat = points(url, db, "heat_interval", "hh-010")
    by_meter = {r["meter"]: r["energy_kwh"] for r in heat}
    assert by_meter == {
        "hh-0101-heat-bill": pytest.approx(0.35 * 1163),  # Gcal
        "hh-0102-heat-bill": pytest.approx(1450 / 3.6),  # MJ
    }
    assert _series(points(url, db, "gas_interval", "hh-0101-gas-bill"), "volume_m3") == [
        (KST_SEP1, 21.4)
    ]
    water = points(url, db, "water_interval", "hh-0101-water-bill")
    assert _series(water, "volume_m3") == [(KST_SEP1, 14.0)]
    mj = points(url, db, "electricity_interval", "hh-0102-electricity-bill")
    assert _series(mj, "energy_kwh") == _approx([(KST_SEP1, 500.0)])


def test_kapt_costs_stored_as_costs_never_as_quantities(stack: Stack) -> None:
    _import(stack, "kapt", "kapt.csv", 7)
    url, db = stack.influx.url, stack.db
    rows = points(url, db, "utility_cost", "a13512345")
    aug1 = KST_SEP1 - 31 * D
    got = {(r["time"], r["utility"]): r["cost_krw"] for r in rows}
    assert got == {
        (aug1, "electricity"): 48_230_000.0,
        (aug1, "heat"): 12_500_000.0,
        (aug1, "water"): 9_870_000.0,  # gas left empty: not reported, not stored
        (KST_SEP1, "electricity"): 41_100_500.0,
        (KST_SEP1, "heat"): 15_320_000.0,
        (KST_SEP1, "gas"): 2_100_000.0,
        (KST_SEP1, "water"): 9_120_000.0,
    }
    for measurement in ("electricity_interval", "heat_interval", "electricity"):
        assert points(url, db, measurement, "a13512345") == []


@pytest.mark.parametrize(
    ("fmt", "name", "readings", "extra"),
    [
        ("greenbutton", "gb_direct.xml", 12, ("--household", "hh-d")),
        ("bills", "bills.csv", 7, ()),
        ("kapt", "kapt.csv", 7, ()),
    ],
)
def test_importing_again_changes_nothing(
    stack: Stack, fmt: str, name: str, readings: int, extra: tuple[str, ...]
) -> None:
    measurements = ["electricity_interval", "gas_interval", "water_interval", "heat_interval"]
    measurements.append("utility_cost")
    url, db = stack.influx.url, stack.db

    def stored() -> dict[str, list[dict]]:
        return {m: points(url, db, m, "") for m in measurements}

    _import(stack, fmt, name, readings, *extra)  # stored (again, if an earlier test did)
    first = stored()
    assert any(first.values())
    _import(stack, fmt, name, readings, *extra)
    assert stored() == first


def test_seq_continues_across_runs(stack: Stack) -> None:
    state = stack.workdir / "state" / "pungam-import.seq"
    before = int(state.read_text())
    _import(stack, "kapt", "kapt.csv", 7)
    assert int(state.read_text()) == before + 1  # one batch, the next seq


def test_an_edge_agent_identity_is_refused(tmp_path: Path, stack: Stack) -> None:
    url = stack.broker.url
    run = run_import("kapt", FILES / "kapt.csv", url, tmp_path, agent="pungam-gw", check=True)
    assert run.code == 2
    assert "importers: --agent 'pungam-gw' is an edge agent" in run.stderr
