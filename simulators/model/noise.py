"""Deterministic noise: the same (seed, key, time) always gives the same value.

Python's own `hash()` of a string changes per process, so keys are hashed
with CRC32 and mixed with splitmix64, which is cheap enough to call per step.
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache

_MASK = (1 << 64) - 1


def key_of(*parts: object) -> int:
    """A stable 64-bit key for a tuple of ids (seed, site, meter, ...)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return _mix(zlib.crc32(text) | (zlib.crc32(text[::-1]) << 32))


def _mix(x: int) -> int:
    # splitmix64 finaliser
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def uniform(key: int, index: int) -> float:
    """A value in [0, 1) for (key, index)."""
    return _mix(key ^ ((index * 0xD1B54A32D192ED03) & _MASK)) / 2.0**64


@lru_cache(maxsize=1 << 18)
def signed(key: int, index: int) -> float:
    """A value in [-1, 1) for (key, index); cached, as neighbouring times share knots."""
    return 2.0 * uniform(key, index) - 1.0


def smooth(key: int, t: float, period_s: float) -> float:
    """Value noise in [-1, 1], cosine-interpolated between knots `period_s` apart."""
    pos = t / period_s
    i = math.floor(pos)
    frac = pos - i
    w = (1.0 - math.cos(math.pi * frac)) / 2.0
    return signed(key, i) * (1.0 - w) + signed(key, i + 1) * w
