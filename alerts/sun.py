"""The sun's elevation over Gwangju, for the solar-dark rule.

NOAA's low-precision formulas (within about a degree of the full
algorithm), enough to tell broad daylight from dusk; no library needed.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

# Gwangju City Hall.
GWANGJU_LAT = 35.1595
GWANGJU_LON = 126.8526


def sun_elevation(when: datetime, lat: float = GWANGJU_LAT, lon: float = GWANGJU_LON) -> float:
    """Degrees above the horizon (negative: below) at `when` (aware)."""
    t = when.astimezone(UTC)
    hour = t.hour + t.minute / 60 + t.second / 3600
    g = 2 * math.pi / 365 * (t.timetuple().tm_yday - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (
        0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g)
    )  # fmt: skip
    decl = (
        0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g)
    )  # fmt: skip
    true_solar_minutes = hour * 60 + eqtime + 4 * lon
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zenith = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(
        hour_angle
    )
    return 90 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))
