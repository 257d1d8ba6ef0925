"""Solar dark: a solar meter producing nothing while the sun is well up over Gwangju.

Judged only when the sun stands above `min_elevation` at both ends of the
window; at dusk, night and dawn nothing changes (an alert stays until a
daylight window shows production again).
"""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.observation import Observation, Verdict, meter_observation, nodata_verdict
from alerts.rules import SolarDarkRule
from alerts.scope import scope_condition, scoped_meters
from alerts.source import Store
from alerts.sun import sun_elevation
from telemetry import influx_schema as s
from telemetry.fields import RATE_FIELD, Utility
from telemetry.influxql import quote_ident, time_window


def daylight(rule: SolarDarkRule, start_ms: int, end_ms: int) -> bool:
    ends = (datetime.fromtimestamp(ms / 1000, UTC) for ms in (start_ms, end_ms))
    return all(sun_elevation(t) >= rule.min_elevation for t in ends)


def solar_dark(rule: SolarDarkRule, store: Store, now_ms: int) -> list[Observation]:
    start = now_ms - int(rule.window * 1000)
    meters = [(site.id, m.id) for site, m in scoped_meters(rule.scope, store.registry)
              if m.utility == Utility.SOLAR]  # fmt: skip
    if not daylight(rule, start, now_ms):
        return [meter_observation(rule, site, meter, None, Verdict.KEEP) for site, meter in meters]
    field = quote_ident(RATE_FIELD[Utility.SOLAR])
    q = (
        f"SELECT max({field}) FROM {quote_ident(Utility.SOLAR)} "
        f"WHERE {time_window(start, now_ms + 1)}{scope_condition(rule.scope)} "
        f"GROUP BY {quote_ident(s.TAG_SITE)}, {quote_ident(s.TAG_METER)}"
    )
    peaks = {
        (r[s.TAG_SITE], r[s.TAG_METER]): r["max"] for r in store.rows(q) if r["max"] is not None
    }
    out = []
    for site, meter in sorted(set(meters) | set(peaks)):
        peak = peaks.get((site, meter))
        if peak is None:
            verdict = nodata_verdict(rule.nodata)
        else:
            verdict = Verdict.BREACH if peak <= rule.at_most else Verdict.CLEAR
        out.append(meter_observation(rule, site, meter, peak, verdict))
    return out
