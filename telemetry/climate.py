"""Gwangju's climate normal: the seasonal curve of daily mean outdoor temperature.

A cosine fitted to Gwangju's monthly mean temperatures (January ~0.6 °C,
August ~26.6 °C; KMA 1991-2020 normals). The simulators build their weather
on it (adding daily cycles and anomalies) and insights/degree_days.py uses it
for degree-days where no observed temperatures are given, so it lives in the
contract.
"""

from __future__ import annotations

import datetime as dt
import math

ANNUAL_MEAN_C = 13.6
ANNUAL_AMPLITUDE_C = 13.0
COLDEST_DAY = 20  # day of year (0-based) around which the seasonal cosine is lowest
YEAR_DAYS = 365.25


def seasonal_temp_c(day_of_year: float) -> float:
    """The normal temperature at a (fractional, 0-based) day of the year."""
    return ANNUAL_MEAN_C - ANNUAL_AMPLITUDE_C * math.cos(
        2 * math.pi * (day_of_year - COLDEST_DAY) / YEAR_DAYS
    )


def normal_daily_mean_c(day: dt.date) -> float:
    """The normal daily mean temperature of a KST calendar day (its midday on the curve)."""
    return seasonal_temp_c(day.timetuple().tm_yday - 1 + 0.5)
