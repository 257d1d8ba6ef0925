"""Files → importer → Mosquitto → collector → InfluxDB → rollup → API, each its real process.

A standalone household in 학운동 (`hakun-0007`) and one in an apartment complex
in 풍암동 (`pungam-101-1203`, whose complex the importer agent belongs to). A
Green Button file for hakun-0007 (hourly electricity with a reverse-flow
channel and daily gas, both across the KST month boundary 2026-10-01 00:00
KST) and a bills CSV (hakun's September electricity bill and a water bill
straddling September and October; the complex household's electricity bills,
one straddling October and November, and water) go in through
`python -m importers`, then a bulk register of hakun-0007's electricity and,
in a second download, the same usage point's hourly deltas over the same
hours (two meters, `-reg` for the register: the deltas' figures count, the
register's are not added); `python -m collector rollup --once` rolls them up;
`python -m api` answers `/v1/household/months` for each household's v2 token.

Expected figures are worked out by hand from the files (files/), not by the
rollup's or the API's code.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

import httpx
import pytest

from devstack import InfluxServer, MosquittoServer
from telemetry.influx_schema import (
    CONSUMPTION_1MO,
    METER_CONSUMPTION_1MO,
    SUPPRESSED,
    TAG_MEASUREMENT,
    WITHHELD,
    WITHHELD_ACTIVE,
    rollup_from,
)
from telemetry.influxql import InfluxQL, tag_eq
from telemetry.rounding import AMOUNT, round_figure
from tests.collector.helpers import CollectorProc
from tests.households.import_chain import (
    AT_COMPLEX,
    COMPLEX,
    HAKUN,
    KEY,
    PUNGAM,
    STANDALONE,
    import_file,
    running_api,
    write_registry,
)
from tests.rollup.conftest import fresh_db, run_rollup
from tests.support.links import household_link

pytestmark = pytest.mark.timeout(240)  # ~10 s: files to API, every process real

FILES = Path(__file__).parent / "files"
SEP, OCT, NOV = 1_788_188_400_000, 1_790_780_400_000, 1_793_458_800_000  # KST month starts

# Per household, utility and KST month: (consumption, source, apportioned), from the files.
EXPECTED = {
    STANDALONE: {
        # Hours 12-14Z of 30 Sep are September in KST (0.45 + 0.43 + 0.418 kWh), 15-17Z
        # October (0.41 + 0.52 + 0.61); the September bill (300 kWh) loses to them; the
        # reverse channel (0.12, 0.35, 0.48, 0.2 kWh exported) is not use.
        ("electricity", SEP): (1.298, "interval", False),
        ("electricity", OCT): (1.54, "interval", False),
        ("gas", SEP): (1.25, "interval", False),  # the KST day 30 Sep
        ("gas", OCT): (0.98 + 1.43, "interval", False),
        # 15 m³ over 15 Sep..14 Oct (30 days): 16 days in September, 14 in October.
        ("water", SEP): (15 * 16 / 30, "bill", True),
        ("water", OCT): (15 * 14 / 30, "bill", True),
    },
    AT_COMPLEX: {
        ("electricity", SEP): (250.0, "bill", False),
        # 310 kWh over 10 Oct..9 Nov (31 days): 22 days in October, 9 in November.
        ("electricity", OCT): (310 * 22 / 31, "bill", True),
        ("electricity", NOV): (310 * 9 / 31, "bill", True),
        ("water", SEP): (12.0, "bill", False),
    },
}
PLACE = {STANDALONE: HAKUN + ("detached_house",), AT_COMPLEX: PUNGAM + ("apartment",)}


# A Green Button bulk register (accumulationBehaviour 1) of hakun-0007's electricity, read
# hourly in the last hours before the test runs (the rollup's window): Wh at each reading.
REGISTER_WH = (1_000_000, 1_000_500, 1_001_200, 1_001_900, 1_002_400)
# The same usage point's hourly deltas over the same hours, in a second download
# (accumulationBehaviour 4): the finer figures, which win over the register (meter
# `<hh>-electricity` beside the register's `<hh>-electricity-reg`). They differ from the
# register's differences on purpose, so the test sees which one counted.
DELTAS_WH = (400, 510, 690, 720, 480)
KST = dt.timezone(dt.timedelta(hours=9))


@dataclass
class Chain:
    api: str
    ql: InfluxQL
    raw: str
    public: str
    expected: dict[str, dict[tuple[str, int], tuple[float, str, bool]]]
    end: dt.date  # the first KST month after everything stored


def _kst_month(ts_s: int) -> int:
    local = dt.datetime.fromtimestamp(ts_s, KST)
    return int(local.replace(day=1, hour=0, minute=0, second=0).timestamp() * 1000)


def _register_file(directory: Path, last: int) -> tuple[Path, dict[tuple[str, int], float]]:
    """The register file read at the last 5 whole hours, and the use it holds per KST
    month: each reading adds its difference in its own hour (the first sets the level)."""
    reads = [last - (len(REGISTER_WH) - 1 - i) * 3600 for i in range(len(REGISTER_WH))]
    starts = {f"start{i}": str(t - 3600) for i, t in enumerate(reads)}
    path = directory / "gb_register.xml"
    text = Template((FILES / "gb_register.xml").read_text(encoding="utf-8")).substitute(starts)
    path.write_text(text, encoding="utf-8")
    use: dict[tuple[str, int], float] = {}
    for t, before, after in zip(reads[1:], REGISTER_WH, REGISTER_WH[1:], strict=False):
        key = ("electricity", _kst_month(t))
        use[key] = use.get(key, 0.0) + (after - before) / 1000
    return path, use


def _deltas_file(
    directory: Path, register: Path, last: int
) -> tuple[Path, dict[tuple[str, int], float]]:
    """The register file's usage point and hours as deltas, and the use per KST month (of
    each interval's start)."""
    text = register.read_text(encoding="utf-8").replace(
        "<accumulationBehaviour>1</accumulationBehaviour>",
        "<accumulationBehaviour>4</accumulationBehaviour>",
    )
    for level, delta in zip(REGISTER_WH, DELTAS_WH, strict=True):
        text = text.replace(f"<value>{level}</value>", f"<value>{delta}</value>")
    path = directory / "gb_deltas.xml"
    path.write_text(text, encoding="utf-8")
    use: dict[tuple[str, int], float] = {}
    for i, wh in enumerate(DELTAS_WH):
        start = last - (len(DELTAS_WH) - i) * 3600
        key = ("electricity", _kst_month(start))
        use[key] = use.get(key, 0.0) + wh / 1000
    return path, use


def _expected(register: dict[tuple[str, int], float]) -> dict[str, dict]:  # type: ignore[type-arg]
    """EXPECTED with the recent months: hakun-0007's interval figures there (the deltas'
    alone: the register of the same usage point is left out)."""
    out = {h: dict(months) for h, months in EXPECTED.items()}
    for key, value in register.items():
        assert key not in out[STANDALONE]  # the register is read after the file's months
        out[STANDALONE][key] = (value, "interval", False)
    return out


def _import(
    collector: CollectorProc,
    broker: str,
    state: Path,
    sites: Path,
    fmt: str,
    file: str | Path,
    *extra: str,
    readings: int,
) -> None:
    """Import `file` (a name in files/, or a path) and wait until the collector wrote it."""
    path = file if isinstance(file, Path) else FILES / file
    import_file(collector, broker, state, sites, fmt, path, *extra, readings=readings)


@pytest.fixture(scope="module")
def chain(influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    work = tmp_path_factory.mktemp("import_to_household")
    sites = write_registry(work)
    raw, public = fresh_db(influx, "hh_raw"), fresh_db(influx, "hh_pub")
    broker = MosquittoServer(work / "mosquitto")
    broker.start()
    collector = CollectorProc(work, broker.url, influx.url, raw, "hh-e2e", ["--config", str(sites)])
    ql = InfluxQL(influx.url)
    try:
        collector.start()
        state = work / "state"
        # 6 hours (forward and reverse in one reading each) + 3 gas days; 5 bills.
        gb = ("greenbutton", "gb_household.xml", "--household", STANDALONE)
        _import(collector, broker.url, state, sites, *gb, readings=9)
        _import(collector, broker.url, state, sites, "bills", "bills_household.csv", readings=5)
        last = int(time.time()) // 3600 * 3600  # the last whole hour, read by both files
        register, _register_use = _register_file(work, last)
        gb = ("greenbutton", register, "--household", STANDALONE)
        _import(collector, broker.url, state, sites, *gb, readings=len(REGISTER_WH))
        deltas, use = _deltas_file(work, register, last)
        gb = ("greenbutton", deltas, "--household", STANDALONE)
        _import(collector, broker.url, state, sites, *gb, readings=len(DELTAS_WH))
        collector.terminate()
        run_rollup(influx.url, raw, public, sites, "--privacy-k", "2")
        with running_api(work, sites, influx.url, raw, public) as base:
            last = dt.datetime.fromtimestamp(max(m for _u, m in use) / 1000, KST)
            end = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1).date()
            yield Chain(base, ql, raw, public, _expected(use), max(end, dt.date(2026, 12, 1)))
    finally:
        collector.kill()
        broker.stop()
        ql.close()


def _months(chain: Chain, household: str) -> dict:  # type: ignore[type-arg]
    r = httpx.get(
        f"{chain.api}/v1/household/months",
        params={
            "token": household_link(household, KEY),
            "start": "2026-08-01",
            "end": chain.end.isoformat(),
        },
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _month_ms(label: str) -> int:
    start = dt.datetime.strptime(label, "%Y-%m").replace(tzinfo=KST)
    return int(start.timestamp() * 1000)


@pytest.mark.parametrize("household", [STANDALONE, AT_COMPLEX])
def test_the_households_months_are_the_files_values(chain: Chain, household: str) -> None:
    body = _months(chain, household)
    assert body["household"] == household
    got = {
        (u["utility"], _month_ms(m["month"])): (m["consumption"], m["source"], m["apportioned"])
        for u in body["utilities"]
        for m in u["months"]
    }
    want = {
        key: (round_figure(value, AMOUNT), source, apportioned)
        for key, (value, source, apportioned) in chain.expected[household].items()
    }
    assert got == want


@pytest.mark.parametrize("household", [STANDALONE, AT_COMPLEX])
def test_the_rollup_places_the_imports_in_the_households_dong(chain: Chain, household: str) -> None:
    """Meter points: the importer's site, the household's own district, dong, type."""
    rows = chain.ql.rows(
        f"SELECT consumption, apportioned FROM {rollup_from(METER_CONSUMPTION_1MO)} "
        f"WHERE meter =~ /^{household}-/ GROUP BY *",
        chain.raw,
        epoch="ms",
    )
    assert rows
    for r in rows:
        assert r["site"] == COMPLEX
        assert (r["district"], r["dong"], r["building_type"]) == PLACE[household], r


def _from(db: str, chain: Chain) -> str:
    """Private group rollups sit in the raw database's `rollups` policy; public ones in its own."""
    return rollup_from(CONSUMPTION_1MO) if db == chain.raw else CONSUMPTION_1MO


def _groups(chain: Chain, db: str, district: str, dong: str) -> dict[tuple[str, int], dict]:  # type: ignore[type-arg]
    rows = chain.ql.rows(
        f"SELECT * FROM {_from(db, chain)} WHERE district = '{district}' AND dong = '{dong}' "
        "AND building_type = 'all' GROUP BY utility",
        db,
        epoch="ms",
    )
    return {(r["utility"], r["time"]): r for r in rows}


def test_each_dongs_monthly_group_holds_its_household(chain: Chain) -> None:
    for household, (district, dong, _type) in PLACE.items():
        groups = _groups(chain, chain.raw, district, dong)
        assert set(groups) == set(chain.expected[household]), household
        for key, (value, _source, apportioned) in chain.expected[household].items():
            g = groups[key]
            assert g["consumption"] == pytest.approx(value, rel=1e-9), (household, key)
            assert (g["households"], g["sites"], g["meters"]) == (1, 1, 1), (household, key)
            assert g["apportioned"] == int(apportioned), (household, key)


def test_the_public_bucket_keeps_the_privacy_rule(chain: Chain) -> None:
    """k = 2: each dong holds one household (not published, held back as suppressed).
    The city holds the two households where both have the utility that month: each could
    subtract its own figure from the city's and read the other's, so the dominance rule
    withholds the city too, leaving a marker with its reason and no figure."""
    for district, dong, _type in PLACE.values():
        assert _groups(chain, chain.public, district, dong) == {}
        suppressed = chain.ql.rows(
            f"SELECT holders FROM {rollup_from(SUPPRESSED)} WHERE {tag_eq(TAG_MEASUREMENT, CONSUMPTION_1MO)} "
            f"AND dong = '{dong}' AND building_type = 'all'",
            chain.raw,
        )
        assert suppressed and {r["holders"] for r in suppressed} == {1}
    both = set(chain.expected[STANDALONE]) & set(chain.expected[AT_COMPLEX])
    assert both  # September's electricity and water
    assert _groups(chain, chain.public, "all", "all") == {}
    markers = chain.ql.rows(
        f"SELECT reason FROM {WITHHELD} WHERE {tag_eq(TAG_MEASUREMENT, CONSUMPTION_1MO)} "
        "AND district = 'all' AND dong = 'all' AND building_type = 'all' GROUP BY utility",
        chain.public,
        epoch="ms",
    )
    withheld = {(r["utility"], r["time"]): r["reason"] for r in markers}
    assert both <= set(withheld)
    assert {withheld[key] for key in both} <= set(WITHHELD_ACTIVE)
