"""Private answers (facility managers, households, operators) from the private bucket."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any

from stores.influx import PrivateStore
from stores.timewin import KST, Every, Window, floor, from_ms, ms
from telemetry.influx_schema import (
    AGENT_STATUS,
    METER_CONSUMPTION_1D,
    METER_CONSUMPTION_1H,
    REJECTED,
    rollup_from,
)
from telemetry.influxql import quote_ident, tag_eq, tag_ne, time_window


def meter_values(
    store: PrivateStore,
    site: str,
    meter: str,
    utility: str,
    field: str,
    agg: str,
    start_ms: int,
    end_ms: int,
    every: str,
) -> list[tuple[int, float | None]]:
    q = (
        f"SELECT {agg}({quote_ident(field)}) FROM {quote_ident(utility)} "
        f"WHERE {tag_eq('site', site)} AND {tag_eq('meter', meter)} AND {tag_ne('quality', 'bad')} "
        f"AND {time_window(start_ms, end_ms)} GROUP BY time({every}) fill(none)"
    )
    return [(r["time"], r.get(agg)) for r in store.rows(q)]


def site_consumption(
    store: PrivateStore, site: str, utility: str, w: Window, meter: str | None = None
) -> dict[int, tuple[float, int]]:
    """Per period start (ms): (consumption of the site's meters, resets)."""
    measurement = METER_CONSUMPTION_1H if w.every is Every.HOUR else METER_CONSUMPTION_1D
    where = f"{tag_eq('site', site)} AND {tag_eq('utility', utility)}"
    if meter:
        where += f" AND {tag_eq('meter', meter)}"
    rows = store.rows(
        f"SELECT consumption, resets FROM {rollup_from(measurement)} WHERE {where} "
        f"AND {time_window(ms(w.start), ms(w.end))} GROUP BY meter"
    )
    out: dict[int, list] = defaultdict(lambda: [0.0, 0])
    for r in rows:
        t = r["time"] if w.every is not Every.MONTH else ms(floor(from_ms(r["time"]), Every.MONTH))
        out[t][0] += r["consumption"] or 0.0
        out[t][1] += int(r["resets"] or 0)
    return {t: (v[0], v[1]) for t, v in out.items()}


def agents(store: PrivateStore) -> list[dict[str, Any]]:
    rows = store.rows(
        f"SELECT * FROM {AGENT_STATUS} WHERE time > now() - 30d "
        "GROUP BY site, agent ORDER BY time DESC LIMIT 1"
    )
    return rows


def rejected(store: PrivateStore, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    rows = store.rows(
        f'SELECT sum("count") FROM {REJECTED} WHERE {time_window(ms(start), ms(end))} '
        "GROUP BY reason"
    )
    return {r.get("reason", ""): int(r.get("sum") or 0) for r in rows}


def age_s(ts_ms: int) -> float:
    return max(0.0, time.time() - ts_ms / 1000)


def iso(ts_ms: int) -> str:
    return dt.datetime.fromtimestamp(ts_ms / 1000, tz=KST).isoformat()
