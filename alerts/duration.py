"""Durations in the rules file: `90s`, `5m`, `2h`, `1d` or a number of seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: object) -> float:
    """Seconds; refuses negatives, bare strings and anything not in s, m, h or d."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 90s, 5m, 2h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (found := _PATTERN.match(value)):
        seconds = float(found.group(1)) * _UNITS[found.group(2)]
    else:
        raise ValueError(f"expected a duration like 90s, 5m, 2h or 1d, got {value!r}")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
