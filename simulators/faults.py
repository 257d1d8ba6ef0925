"""Fault modes a simulated meter can be put in (see README.md "Faults")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    NONE = "none"
    TIMEOUT = "timeout"
    SLOW = "slow"
    ILLEGAL_ADDRESS = "illegal-address"
    BUSY = "busy"
    GARBAGE = "garbage"
    RESET = "reset"
    FROZEN = "frozen"
    FLAPPING = "flapping"
    LEAK = "leak"
    STUCK = "stuck"
    GLITCH = "glitch"


DEFAULT_PARAM = {FaultKind.SLOW: 1.5, FaultKind.FLAPPING: 3.0, FaultKind.LEAK: 0.5}


class FaultError(ValueError):
    """A fault spelled wrongly."""


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind = FaultKind.NONE
    # seconds: the delay of `slow`, the half-period of `flapping`; m³/h: the flow of `leak`
    param: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.kind.value}:{self.param:g}" if self.kind in DEFAULT_PARAM else self.kind.value
        )


NO_FAULT = Fault()


def parse_fault(text: str) -> Fault:
    """`KIND` or `KIND:NUMBER` (slow, flapping: seconds; leak: m³/h), e.g. `slow:1.5`."""
    name, _, arg = text.strip().partition(":")
    try:
        kind = FaultKind(name.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in FaultKind)
        raise FaultError(f"unknown fault {name!r} (expected one of: {known})") from None
    if not arg:
        return Fault(kind, DEFAULT_PARAM.get(kind, 0.0))
    if kind not in DEFAULT_PARAM:
        raise FaultError(f"fault {kind.value!r} takes no parameter (got {text!r})")
    unit = "m³/h" if kind is FaultKind.LEAK else "seconds"
    try:
        seconds = float(arg)
    except ValueError:
        raise FaultError(f"fault {text!r}: {arg!r} is not a number of {unit}") from None
    if not 0.0 < seconds <= 3600.0:
        raise FaultError(f"fault {text!r}: {unit} must be in (0, 3600]")
    return Fault(kind, seconds)


def parse_assignment(text: str) -> tuple[str, Fault]:
    """`SITE/METER=KIND` from the command line."""
    key, sep, fault = text.partition("=")
    if not sep or "/" not in key:
        raise FaultError(
            f"--fault {text!r}: expected SITE/METER=KIND, e.g. hanam-ic/b1-elec=timeout"
        )
    return key.strip(), parse_fault(fault)
