"""The disclosure-control rules, as configuration (`disclosure:` of config/settings.yaml and
config/api.yaml; k is each component's `privacy_k`).

Three primary rules decide which cells are sensitive by themselves:

- **minimum count** (`k`): a cell standing for fewer than k holders (households, or sites
  where there are none; survey respondents) is *too few*;
- **dominance** (magnitude tables: energy use): the p% rule, or the (n, k) rule, on the
  holders' contributions — a cell where one holder's share could be estimated by another
  holder to within p % is *dominated*;
- **group disclosure** (frequency tables: survey answers): a cell where every respondent
  gave one answer reveals each one's answer, whatever its size (*all alike*), unless the
  whole population answered so too.

Each sensitive cell gets a **protection interval**: how far from its true value the
published tables must let it lie (both ways). The linear-programming audit (audit.py)
checks that no combination of published figures narrows it more.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from telemetry.config.strict import FrozenStrictModel


class Reason(StrEnum):
    """Why a cell is withheld (the public sees the code and its message)."""

    TOO_FEW = "too_few"
    DOMINATED = "dominated"
    ALL_ALIKE = "all_alike"
    PROTECTS = "protects_another"  # secondary suppression


class Dominance(FrozenStrictModel):
    """p% rule (default) or (n, k) rule for magnitude tables.

    - `p_percent`: sensitive when the largest contribution x1 could be estimated by the
      second largest holder to within p %: p/100·x1 > T − x1 − x2 (T the cell's total).
      Its protection interval is that excess, p/100·x1 − (T − x1 − x2), on both sides.
    - `nk`: sensitive when the n largest contributions exceed k % of T; protection
      (100/k)·(x1 + … + xn) − T.
    """

    rule: Literal["p_percent", "nk", "off"] = "p_percent"
    p: float = Field(default=10.0, gt=0, le=100)
    n: int = Field(default=2, ge=1, le=10)
    nk_k: float = Field(default=85.0, gt=0, le=100)


class DisclosureConfig(FrozenStrictModel):
    """The `disclosure:` section (config/api.yaml for survey results, the `rollup:` section
    of config/settings.yaml for the rollups): every rule but k, which stays `privacy_k`."""

    dominance: Dominance = Field(default_factory=Dominance)
    group_disclosure: bool = True
    protection_pct: float = Field(default=20.0, ge=0, le=100)
    protection_floor: float = Field(default=0.01, ge=0)

    def rules(self, k: int) -> DisclosureRules:
        return DisclosureRules(k=k, **self.model_dump())


class DisclosureRules(FrozenStrictModel):
    k: int = Field(default=5, ge=1, le=10_000)
    dominance: Dominance = Field(default_factory=Dominance)
    group_disclosure: bool = True
    # Cells below k in magnitude tables: the published tables must leave the value
    # uncertain by at least this share of it, both ways.
    protection_pct: float = Field(default=20.0, ge=0, le=100)
    # ... and by at least this much in absolute terms (a cell that used 0 must not be
    # shown to be 0); for counts the floor is always one respondent.
    protection_floor: float = Field(default=0.01, ge=0)
