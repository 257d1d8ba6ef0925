"""Daily and weekly shapes (each normalised to a mean of 1 over the day).

Household electricity in summer follows KEPCO's August curve (1000 = average
hour: 14 h 1016, 18 h 1091, 19 h 1177, 20 h 1275, 21 h 1330 peak, 22 h 1321,
23 h 1255, 0 h 1126); outside summer a morning peak (08-10 h) stands above
midday. Night hours are our estimate. Values are per local hour, linearly
interpolated.
"""

from __future__ import annotations


def _normalised(values: tuple[float, ...]) -> tuple[float, ...]:
    mean = sum(values) / len(values)
    return tuple(v / mean for v in values)


ELEC_SUMMER = _normalised(
    (1126, 1000, 900, 840, 810, 800, 820, 870, 900, 880, 860, 870,
     900, 960, 1016, 1000, 1000, 1040, 1091, 1177, 1275, 1330, 1321, 1255)
)  # fmt: skip
ELEC_OTHER = _normalised(
    (1050, 850, 750, 700, 690, 700, 800, 1000, 1180, 1160, 1040, 950,
     930, 900, 880, 880, 920, 1050, 1200, 1300, 1320, 1280, 1200, 1120)
)  # fmt: skip
# Water: showers and cooking in the morning and evening.
WATER = _normalised(
    (300, 150, 100, 100, 150, 400, 1300, 1900, 1600, 1100, 900, 1000,
     1200, 1000, 900, 900, 1000, 1200, 1500, 1700, 1600, 1400, 1100, 600)
)  # fmt: skip
# Space heating: boilers run hardest on waking and in the evening.
HEATING = _normalised(
    (900, 850, 850, 850, 900, 1100, 1400, 1400, 1200, 950, 850, 800,
     750, 750, 750, 800, 900, 1050, 1200, 1250, 1250, 1150, 1050, 950)
)  # fmt: skip
# Cooking and hot water (gas base load).
COOKING = _normalised(
    (200, 100, 100, 100, 150, 400, 1200, 1600, 1200, 700, 600, 1200,
     1600, 900, 600, 600, 900, 1600, 2100, 1800, 1300, 900, 600, 300)
)  # fmt: skip
# Offices, schools, public buildings: working hours on weekdays.
OFFICE = _normalised(
    (350, 350, 350, 350, 350, 380, 450, 700, 1300, 1600, 1650, 1650,
     1450, 1650, 1650, 1600, 1550, 1300, 900, 600, 450, 400, 380, 360)
)  # fmt: skip

SUMMER_MONTHS = frozenset({6, 7, 8, 9})


def hourly(shape: tuple[float, ...], hour: float) -> float:
    i = int(hour) % 24
    frac = hour - int(hour)
    return shape[i] * (1.0 - frac) + shape[(i + 1) % 24] * frac


def shift_factor(hour: float, weekday: int) -> float:
    """Industrial load relative to the weekday day shift.

    Day shift 08-17 h (lunch dip 12-13 h), evening shift 17-24 h, a night
    base; Saturday runs a reduced day shift, Sunday only the base load.
    """
    if weekday == 6:
        return 0.25
    if 8.0 <= hour < 17.0:
        day = 0.8 if 12.0 <= hour < 13.0 else 1.0
        return day if weekday < 5 else 0.45
    if 17.0 <= hour < 24.0:
        return 0.65 if weekday < 5 else 0.3
    return 0.4 if weekday < 5 else 0.25
