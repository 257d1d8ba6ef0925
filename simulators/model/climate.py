"""Gwangju's weather and sun: outdoor temperature, cloud cover, solar elevation.

Temperature: the seasonal normal of telemetry.climate (January ~0.6 °C,
August ~26.6 °C), a daily cycle (coolest ~06 h, warmest
~15 h local) and a day-to-day anomaly drawn from the seed. Cloud cover is one
value per day, wetter in the July monsoon (장마). Sun position from the usual
declination / hour-angle formulas for 35.16 N, 126.85 E.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

from simulators.model.noise import smooth, uniform
from telemetry.climate import seasonal_temp_c  # the seasonal normal, shared with the API

LATITUDE = 35.16
LONGITUDE = 126.85
KST_OFFSET_S = 9 * 3600
DAY_S = 86400.0

DAILY_AMPLITUDE_C = 4.0

# Mean cloud cover by month (0 clear .. 1 overcast); July is the monsoon.
CLOUD_BY_MONTH = (0.45, 0.45, 0.5, 0.5, 0.5, 0.6, 0.75, 0.6, 0.5, 0.35, 0.4, 0.45)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=8192)
def _day(day: int) -> tuple[int, int, int]:
    """(day of year 0-based, month, weekday) of a day counted from 1970-01-01."""
    d = date.fromordinal(_EPOCH_ORDINAL + day)
    return d.toordinal() - date(d.year, 1, 1).toordinal(), d.month, d.weekday()


def _calendar(t: float) -> tuple[float, int, int]:
    """(fractional day of year, month, weekday) in local time; per-day parts cached."""
    local = t + KST_OFFSET_S
    day = int(local // DAY_S)
    doy, month, weekday = _day(day)
    return doy + (local - day * DAY_S) / DAY_S, month, weekday


def day_of_year(t: float) -> float:
    """Fractional day of year (0-based) in local time."""
    return _calendar(t)[0]


def local_hour(t: float) -> float:
    return ((t + KST_OFFSET_S) % DAY_S) / 3600.0


def local_month(t: float) -> int:
    """1..12 in local time."""
    return _calendar(t)[1]


def local_weekday(t: float) -> int:
    """0 = Monday .. 6 = Sunday, local time."""
    return _calendar(t)[2]


def outdoor_temp_c(t: float, key: int) -> float:
    seasonal = seasonal_temp_c(day_of_year(t))
    hour = local_hour(t)
    # cosine with its minimum at 06 h and maximum at 15 h (asymmetric: 9 h up, 15 h down)
    if 6.0 <= hour < 15.0:
        phase = (hour - 6.0) / 9.0 * math.pi
    else:
        phase = math.pi + ((hour - 15.0) % 24.0) / 15.0 * math.pi
    daily = -DAILY_AMPLITUDE_C * math.cos(phase)
    anomaly = 3.0 * smooth(key, t, DAY_S * 2.5)
    return seasonal + daily + anomaly


def cloud_cover(t: float, key: int) -> float:
    """Cloud cover of the local day in [0, 1] (one draw per day, skewed by month)."""
    day = int((t + KST_OFFSET_S) // DAY_S)
    mean = CLOUD_BY_MONTH[local_month(t) - 1]
    u = uniform(key, day)
    # mostly-clear or mostly-cloudy days, centred on the month's mean
    return min(1.0, max(0.0, mean + (u - 0.5) * 1.3))


def solar_elevation_sin(t: float) -> float:
    """sin of the sun's elevation above the horizon at Gwangju (negative at night)."""
    day = int(t // DAY_S)
    doy = _day(day)[0] + (t - day * DAY_S) / DAY_S  # UTC day of year, as the formula wants
    gamma = 2 * math.pi / 365.0 * doy
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
    )
    eot_min = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    utc_minutes = (t % DAY_S) / 60.0
    solar_minutes = utc_minutes + 4.0 * LONGITUDE + eot_min
    hour_angle = math.radians(solar_minutes / 4.0 - 180.0)
    lat = math.radians(LATITUDE)
    return math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour_angle)
