"""A household's whole history, older than the raw retention, from its files to its page.

Thirty months of a Green Button download (daily electricity) and of monthly gas
bills for `hakun-0007` go through the real importer → Mosquitto → collector →
rollup → API, on a database made by `python -m collector init` with its default
retentions: raw readings 400 days, rollups and imported history forever. So
more than half of the months are older than the raw retention, as a utility's
download or a programme's baseline is. Every month of `/v1/household/months`
equals the file's totals, and the importer's receipt reports every reading
stored. Expected figures are summed here from the generated files, not by the
rollup's or the API's code.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack import InfluxServer, MosquittoServer
from telemetry.influx_schema import IMPORTED_RP, interval_measurement
from telemetry.influxql import InfluxQL
from telemetry.rounding import AMOUNT, round_figure
from tests.collector.helpers import CollectorProc
from tests.households.import_chain import (
    KEY,
    STANDALONE,
    import_file,
    running_api,
    write_registry,
)
from tests.rollup.conftest import run_rollup
from tests.support.links import household_link
from tests.support.processes import run_module

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

FILES = Path(__file__).parent / "files"
MONTHS = 30
RAW_RETENTION_DAYS = 400  # `python -m collector init`'s default
KST = dt.timezone(dt.timedelta(hours=9))
Months = dict[tuple[str, str], float]  # (utility, "YYYY-MM") → amount


def _add_months(day: dt.date, n: int) -> dt.date:
    k = day.year * 12 + day.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def _span() -> tuple[dt.date, dt.date]:
    """The first day of the month 30 months ago and of this month (KST)."""
    this = dt.datetime.now(KST).date().replace(day=1)
    return _add_months(this, -MONTHS), this


def _daily_wh(i: int) -> int:
    return 4000 + (i * 37) % 3000


def _green_button(directory: Path, first: dt.date, end: dt.date) -> tuple[Path, Months, int]:
    """Daily electricity deltas (Wh) from `first` to the day before `end`, KST days; the
    kWh per month and the number of readings."""
    days = [first + dt.timedelta(days=i) for i in range((end - first).days)]
    starts = [int(dt.datetime.combine(d, dt.time(), KST).timestamp()) for d in days]
    readings = "".join(
        f"<IntervalReading><timePeriod><duration>86400</duration><start>{t}</start>"
        f"</timePeriod><value>{_daily_wh(i)}</value></IntervalReading>\n"
        for i, t in enumerate(starts)
    )
    block = (
        '<IntervalBlock xmlns="http://naesb.org/espi">\n'
        f"<interval><duration>{86400 * len(days)}</duration><start>{starts[0]}</start>"
        f"</interval>\n{readings}</IntervalBlock>"
    )
    text = (FILES / "gb_register.xml").read_text(encoding="utf-8")
    text = text.replace("<accumulationBehaviour>1</accumulationBehaviour>",
                        "<accumulationBehaviour>4</accumulationBehaviour>")  # fmt: skip
    text = text.replace("<intervalLength>3600</intervalLength>",
                        "<intervalLength>86400</intervalLength>")  # fmt: skip
    text = re.sub(r"<IntervalBlock .*?</IntervalBlock>", lambda _m: block, text, flags=re.S)
    path = directory / "gb_30_months.xml"
    path.write_text(text, encoding="utf-8")
    months: Months = {}
    for i, d in enumerate(days):
        key = ("electricity", f"{d:%Y-%m}")
        months[key] = months.get(key, 0.0) + _daily_wh(i) / 1000
    return path, months, len(days)


def _bills(directory: Path, first: dt.date) -> tuple[Path, Months]:
    """One gas bill per calendar month: whole months, nothing apportioned."""
    rows, months = [], {}
    for i in range(MONTHS):
        start = _add_months(first, i)
        last = _add_months(first, i + 1) - dt.timedelta(days=1)
        m3 = 20 + (i * 7) % 50
        rows.append(f"{STANDALONE},gas,{start},{last},{m3},m3\n")
        months[("gas", f"{start:%Y-%m}")] = float(m3)
    path = directory / "bills_30_months.csv"
    header = "household,utility,period_start,period_end,quantity,unit\n"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path, months


@dataclass
class History:
    api: str
    ql: InfluxQL
    raw: str
    expected: dict[tuple[str, str], tuple[float, str]]
    receipts: list[str]
    span: tuple[dt.date, dt.date]


def _init(influx: InfluxServer, raw: str, public: str) -> None:
    argv = ["--influx-url", influx.url, "--influx-bucket", raw, "--influx-public-bucket", public]
    done = run_module("collector", "init", *argv, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def history(influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    work = tmp_path_factory.mktemp("history")
    sites = write_registry(work)
    tag = uuid.uuid4().hex[:6]
    raw, public = f"hist_raw_{tag}", f"hist_pub_{tag}"
    _init(influx, raw, public)
    first, end = _span()
    gb, electricity, days = _green_button(work, first, end)
    bills, gas = _bills(work, first)
    expected = {k: (v, "interval") for k, v in electricity.items()}
    expected |= {k: (v, "bill") for k, v in gas.items()}
    broker = MosquittoServer(work / "mosquitto")
    broker.start()
    collector = CollectorProc(work, broker.url, influx.url, raw, "hist", ["--config", str(sites)])
    ql = InfluxQL(influx.url)
    try:
        collector.start()
        state = work / "state"
        receipts = [
            import_file(collector, broker.url, state, sites, "greenbutton", gb,
                        "--household", STANDALONE, readings=days),
            import_file(collector, broker.url, state, sites, "bills", bills, readings=MONTHS),
        ]  # fmt: skip
        collector.terminate()
        run_rollup(influx.url, raw, public, sites, "--privacy-k", "2")
        with running_api(work, sites, influx.url, raw, public) as base:
            yield History(base, ql, raw, expected, receipts, (first, end))
    finally:
        collector.kill()
        broker.stop()
        ql.close()


def test_the_span_reaches_past_the_raw_retention(history: History) -> None:
    """The premise: most months are older than the raw readings are kept."""
    cutoff = dt.date.today() - dt.timedelta(days=RAW_RETENTION_DAYS)
    month_ends = [_add_months(dt.date.fromisoformat(m + "-01"), 1) for _u, m in history.expected]
    old = [e for e in month_ends if e <= cutoff]
    assert len(old) >= 2 * 15  # both utilities, 15 months or more each
    policies = history.ql.rows(f'SHOW RETENTION POLICIES ON "{history.raw}"', history.raw)
    durations = {r["name"]: r["duration"] for r in policies}
    assert durations["autogen"] == f"{RAW_RETENTION_DAYS * 24}h0m0s"
    assert durations[IMPORTED_RP] == "0s"  # forever, as the rollups


def test_every_month_on_the_household_route_equals_the_files(history: History) -> None:
    first, end = history.span
    r = httpx.get(
        f"{history.api}/v1/household/months",
        params={"token": household_link(STANDALONE, KEY), "start": first.isoformat(),
                "end": end.isoformat()},
        timeout=30,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    got = {
        (u["utility"], m["month"]): (m["consumption"], m["source"], m["apportioned"])
        for u in r.json()["utilities"]
        for m in u["months"]
    }
    want = {
        key: (round_figure(value, AMOUNT), source, False)
        for key, (value, source) in history.expected.items()
    }
    assert len(want) == 2 * MONTHS
    assert got == want


def test_the_receipts_list_every_reading_stored(history: History) -> None:
    gb, bills = history.receipts
    days = (history.span[1] - history.span[0]).days
    assert f"{days} readings of 1 meters: {days} stored, 0 refused" in gb, gb
    assert f"{MONTHS} readings of 1 meters: {MONTHS} stored, 0 refused" in bills, bills


def test_imported_history_is_kept_apart_from_the_raw_readings(history: History) -> None:
    """Stored in the `imported` policy, none in the raw one (where it would expire)."""
    elec = interval_measurement("electricity")
    kept = history.ql.rows(f'SELECT count(*) FROM "{IMPORTED_RP}"."{elec}"', history.raw)
    days = (history.span[1] - history.span[0]).days
    assert kept and kept[0]["count_energy_kwh"] == days
    assert history.ql.rows(f'SELECT count(*) FROM "autogen"."{elec}"', history.raw) == []
