"""A site's live figures for the facility pages, from the private bucket, through the queries
the Grafana facility board runs (telemetry/facility_queries.py).

- `meter_states`: one entry per meter (registered or reporting) with its latest values, age,
  quality and status (stale past max(120 s, 3 poll intervals), as `/v1/facility/.../meters`);
- `today_by_utility`: today's consumption per utility from the hourly rollup, with the
  counter events (resets, replacements) the rollup saw;
- `readings_csv`: a meter's readings in a window, as CSV lines, read in bounded pages.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stores.influx import PrivateStore
from telemetry import facility_queries as fq
from telemetry.fields import FIELDS, Utility
from telemetry.influxql import quote_ident, tag_eq, tag_ne, time_window
from telemetry.registry import Registry

STALE_MIN_S = 120.0
STALE_POLLS = 3
# The latest reading is looked for this far back (a meter silent longer is "no data").
LOOKBACK_MS = 7 * 86_400_000
STATUSES = ("ok", "stale", "bad", "uncertain", "no_data")


@dataclass(frozen=True)
class MeterLive:
    meter: str
    utility: str
    status: str  # one of STATUSES
    stale_after_s: float
    last_ms: int | None = None
    age_s: float | None = None
    quality: str | None = None
    values: dict[str, float] = field(default_factory=dict)
    name: str | None = None
    building: str | None = None
    simulated: bool = False

    @property
    def stale(self) -> bool:
        return self.status in ("stale", "no_data")


LOOPBACK = ("127.", "localhost", "::1")


def simulated(meter: Any) -> bool:
    """A meter read over Modbus TCP on this machine's loopback: in this platform, that is
    `python -m simulators serve` (the demo and the tests); a real meter sits behind a
    gateway on the site's network. Pages label such figures "simulated"."""
    host = str(getattr(meter.connection, "host", ""))
    return host.startswith(LOOPBACK)


def stale_after(poll_interval_s: float | None) -> float:
    return max(STALE_MIN_S, STALE_POLLS * (poll_interval_s or 60.0))


def site_meters(registry: Registry, site: str) -> dict[tuple[str, str], Any]:
    """(utility, meter) -> the registry's meter, for the site's listed meters."""
    return {(m.utility.value, m.id): m for s, _agent, m in registry.meters() if s.id == site}


def meter_states(
    store: PrivateStore, registry: Registry, site: str, now_ms: int | None = None
) -> list[MeterLive]:
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    scope = fq.Scope.exact(site, now_ms - LOOKBACK_MS, now_ms + 60_000)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for s in store.series(fq.latest_reading([u.value for u in Utility], scope)):
        for row in s.rows():
            latest[(s.name, s.tags.get("meter", ""))] = {
                k: v for k, v in row.items() if v is not None
            }
    listed = site_meters(registry, site)
    out = []
    for key in sorted(set(latest) | set(listed)):
        utility, meter = key
        m = listed.get(key)
        after = stale_after(m.poll_interval_s if m is not None else None)
        names = {
            "name": m.name if m else None,
            "building": m.building if m else None,
            "simulated": simulated(m) if m else False,
        }
        row = latest.get(key)
        if row is None:
            out.append(MeterLive(meter, utility, "no_data", after, **names))
            continue
        age = max(0.0, (now_ms - int(row["time"])) / 1000)
        quality = str(row.get("quality", "good"))
        status = "stale" if age > after else ("ok" if quality == "good" else quality)
        values = {
            k: float(v)
            for k, v in row.items()
            if k in FIELDS[Utility(utility)] and isinstance(v, int | float)
        }
        out.append(
            MeterLive(
                meter, utility, status, after, int(row["time"]), age, quality, values, **names
            )
        )
    return out


def today_by_utility(
    store: PrivateStore, site: str, start_ms: int, end_ms: int
) -> dict[str, tuple[float, int]]:
    """utility -> (consumption in [start, end) from the hourly rollup, counter events)."""
    scope = fq.Scope.exact(site, start_ms, end_ms)
    used: dict[str, float] = defaultdict(float)
    for r in store.rows(fq.hourly_consumption(scope)):
        used[r["utility"]] += float(r.get("sum") or 0.0)
    events: dict[str, int] = defaultdict(int)
    for r in store.rows(fq.hourly_resets(scope)):
        events[r["utility"]] += int(r.get("sum") or 0)
    return {u: (used[u], events.get(u, 0)) for u in sorted(set(used) | set(events))}


SPARK_MS = 3 * 3_600_000
SPARK_EVERY = "5m"


def rate_field(utility: str) -> str:
    return "power_kw" if "power_kw" in FIELDS[Utility(utility)] else "flow_m3h"


def sparklines(
    store: PrivateStore, site: str, utilities: set[str], now_ms: int
) -> dict[tuple[str, str], list[float | None]]:
    """(utility, meter) -> the rate field's 5-minute means over the last 3 hours (None: no
    reading in that bucket), one query per utility; readings marked bad are left out."""
    exact = fq.Scope.exact(site, now_ms - SPARK_MS, now_ms + 1)
    scope = fq.Scope(exact.site, exact.time, extra=tag_ne("quality", "bad"))
    out: dict[tuple[str, str], list[float | None]] = {}
    for utility in sorted(utilities):
        q = fq.mean_by_meter(rate_field(utility), utility, scope, SPARK_EVERY)
        for s in store.series(q):
            out[(utility, s.tags.get("meter", ""))] = [r.get("mean") for r in s.rows()]
    return out


def counter_events(
    store: PrivateStore, site: str, start_ms: int, end_ms: int, limit: int = 50
) -> list[dict[str, Any]]:
    """The site's counter events in [start, end), newest first."""
    where = f"{tag_eq('site', site)} AND {time_window(start_ms, end_ms)}"
    return store.rows(fq.counter_events(where, limit))


# A CSV download reads at most this many readings in all, this many per query.
CSV_MAX_ROWS = 200_000
CSV_PAGE = 5_000


def readings_csv(
    store: PrivateStore, site: str, meter: str, utility: str, start_ms: int, end_ms: int
) -> Iterator[str]:
    """CSV lines (header first) of the meter's readings in [start, end), oldest first, read
    CSV_PAGE at a time by time (never OFFSET), at most CSV_MAX_ROWS; a last comment line says
    when the bound cut the download short."""
    names = sorted(FIELDS[Utility(utility)])
    columns = ["time_utc_ms", "site", "meter", "utility", "quality", *names]
    yield _line(columns)
    sent, since = 0, start_ms
    fields = ", ".join(quote_ident(n) for n in names)
    while sent < CSV_MAX_ROWS:
        q = (
            f'SELECT {fields}, "quality" FROM {quote_ident(utility)} '
            f"WHERE {tag_eq('site', site)} AND {tag_eq('meter', meter)} "
            f"AND {time_window(since, end_ms)} ORDER BY time ASC LIMIT {CSV_PAGE}"
        )
        rows = store.rows(q)
        for r in rows:
            yield _line(
                [r["time"], site, meter, utility, r.get("quality", ""), *(r.get(n) for n in names)]
            )
        sent += len(rows)
        if len(rows) < CSV_PAGE:
            return
        since = int(rows[-1]["time"]) + 1
    yield f"# cut at {CSV_MAX_ROWS} readings: ask for a shorter period\r\n"


def _line(cells: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(["" if c is None else c for c in cells])
    return buf.getvalue()
