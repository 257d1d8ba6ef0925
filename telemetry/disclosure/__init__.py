"""Disclosure control shared by the rollups and the survey results (issue 24).

Every figure the platform publishes is protected jointly with every other it can be
combined with: the tables of a period (and of a round) form one `System` of units and
linear constraints; `protect` applies the primary rules (rules.py: minimum count,
dominance, group disclosure) and withholds further units until the linear-programming
`audit` finds no withheld unit's figures narrowed below their protection interval.
Pure functions: no I/O, no clock.
"""

from telemetry.disclosure.audit import AuditFailed, Exposure, Interval, audit, intervals
from telemetry.disclosure.primary import Need, dominance_excess, sensitivity
from telemetry.disclosure.rules import DisclosureConfig, DisclosureRules, Dominance, Reason
from telemetry.disclosure.secondary import Protection, primary_needs, protect
from telemetry.disclosure.system import Constraint, Kind, System, Unit, hierarchy

__all__ = [
    "AuditFailed",
    "Constraint",
    "DisclosureConfig",
    "DisclosureRules",
    "Dominance",
    "Exposure",
    "Interval",
    "Kind",
    "Need",
    "Protection",
    "Reason",
    "System",
    "Unit",
    "audit",
    "dominance_excess",
    "hierarchy",
    "intervals",
    "primary_needs",
    "protect",
    "sensitivity",
]
