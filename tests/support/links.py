"""Household links for tests that are about what a household reads, not about links: signed
as `python -m api sign-household --household ID` signs them (api/links.py, version 3)."""

from __future__ import annotations

import datetime as dt

from api import links


def household_link(household: str, key: str, *, key_id: str = "default", version: int = 1) -> str:
    """A programme household's link (not at a unit), issued today for a year."""
    today = dt.datetime.now(links.KST).date()
    return links.sign(((key_id, key),), links.household_subject(household), today, 365, version)


def retired_link(subject: str) -> str:
    """A token of the retired versions 1 and 2 (`<site or household>.<signature>`)."""
    return f"{subject}.c2lnbmF0dXJlLW9mLWFuLW9sZC1saW5r"
