"""Staff roles: what each is for, and the one rule that administrator implies every other.

- moderator: the board's moderation queue, statuses and official answers;
- survey_admin: survey rounds, paper responses, free-text approvals;
- code_issuer: participation codes (issue, revoke) for any site;
- operator: agents, rejected messages, alerts and silences;
- administrator: all of the above, every site, and the audit log;
- facility_manager: the facility pages, alerts and datasets of its own sites only.
"""

from __future__ import annotations

from collections.abc import Iterable

from telemetry.db.tables import STAFF_ROLES

ROLES: tuple[str, ...] = STAFF_ROLES
ADMINISTRATOR = "administrator"
FACILITY_MANAGER = "facility_manager"


class UnknownRole(ValueError):
    pass


def check(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles, sorted and without repeats; UnknownRole for one not in ROLES."""
    out = sorted(set(roles))
    unknown = [r for r in out if r not in ROLES]
    if unknown:
        raise UnknownRole(f"unknown role(s) {', '.join(unknown)} (known: {', '.join(ROLES)})")
    if not out:
        raise UnknownRole(f"give at least one role ({', '.join(ROLES)})")
    return tuple(out)


def allows(held: Iterable[str], *wanted: str) -> bool:
    """Whether roles `held` grant any of `wanted`; administrator grants everything."""
    held = set(held)
    return ADMINISTRATOR in held or any(w in held for w in wanted)
