"""What one pass saw for one originator of one rule, and how the rule judges it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from alerts.rules import NoData, RuleBase
from telemetry import influx_schema as s


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


def meter_observation(
    rule: RuleBase, site: str, meter: str, value: float | None, verdict: Verdict
) -> Observation:
    labels = {**rule_labels(rule, site), s.TAG_METER: meter}
    return Observation(meter_originator(site, meter), site, value, verdict, labels)


def rule_labels(rule: RuleBase, site: str) -> dict[str, str]:
    """The rule's own labels plus rule, severity and site: what policies and silences match."""
    return {**rule.labels, "rule": rule.id, "severity": rule.severity.value, s.TAG_SITE: site}
