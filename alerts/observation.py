"""What one pass saw for one originator of one rule, and how the rule judges it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from alerts.rules import NoData


class Verdict(StrEnum):
    BREACH = "breach"  # the condition holds
    CLEAR = "clear"  # past the clear condition: the way back
    BAND = "band"  # between clear and limit (hysteresis): a pending wait ends, a firing stays
    KEEP = "keep"  # no data and the rule says keep_state: nothing changes


@dataclass(frozen=True, slots=True)
class Observation:
    originator: str  # "meter:<site>/<meter>" or "agent:<agent>"
    site: str | None
    value: float | None  # None: no data this pass
    verdict: Verdict
    labels: dict[str, str] = field(default_factory=dict)


def nodata_verdict(policy: NoData) -> Verdict:
    """NoData is what the rule says, never a guess."""
    return {NoData.ALERT: Verdict.BREACH, NoData.OK: Verdict.CLEAR}.get(policy, Verdict.KEEP)


def meter_originator(site: str, meter: str) -> str:
    return f"meter:{site}/{meter}"


def agent_originator(agent: str) -> str:
    return f"agent:{agent}"
