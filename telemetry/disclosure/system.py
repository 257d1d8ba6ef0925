"""Linked tables as one system: units (what is published or withheld together), their
figures, and the linear constraints between figures that every reader knows.

A *unit* is one published cell: an energy group in a period (one figure, its use) or a
survey cell (respondents and the count of each answer). Its figures appear in
*constraints*: a total equals the sum of its parts (a district and its dongs, a day and
its hours, a question's respondents and its answers' counts), or is at least one of them.
The tables a reader can combine are exactly these constraints, so protecting the system
protects every table together, whatever page or export shows which part.

Structural cells that are never published (a survey's district × building type crossing)
are units with `offered=False`: unknown to the reader, but sensitive like any other.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

FigureKey = Hashable
UnitKey = Hashable


class Kind(StrEnum):
    MAGNITUDE = "magnitude"  # sums of non-negative amounts (kWh, m³)
    FREQUENCY = "frequency"  # counts of respondents (integers)


@dataclass(slots=True)
class Unit:
    """A cell published or withheld whole.

    holders: what the minimum-count rule counts (households, sites without any, respondents).
    figures: the unit's figures by key (a figure key belongs to one unit only).
    main: the figure the dominance rule and the minimum-count protection apply to
      (magnitude tables); frequency tables protect every figure.
    top: the largest contributions to `main`, descending (magnitude tables; at least two
      when there are two holders).
    alike: (answer count, respondents) figure-key pairs where one answer holds every
      response and the whole population did not all give it (frequency tables: the
      group-disclosure rule makes the unit sensitive).
    offered: False for a structural cell that is never published.
    weight: secondary suppression prefers to withhold units of small weight × holders
      (the builder gives totals a larger weight than their parts).
    """

    kind: Kind
    holders: int
    figures: dict[FigureKey, float]
    main: FigureKey | None = None
    top: tuple[float, ...] = ()
    alike: tuple[tuple[FigureKey, FigureKey], ...] = ()
    offered: bool = True
    weight: float = 1.0  # how much more withholding it costs (totals above their parts)

    @property
    def cost(self) -> tuple[float, float]:
        """What withholding it loses: its holders, weighted; then its main figure."""
        value = self.figures[self.main] if self.main is not None else 0.0
        return (self.weight * self.holders, self.weight * abs(value))


@dataclass(frozen=True, slots=True)
class Constraint:
    """Σ coef·figure = rhs (or ≤ rhs when `equality` is False)."""

    coefs: tuple[tuple[FigureKey, float], ...]
    rhs: float = 0.0
    equality: bool = True

    @classmethod
    def total(cls, whole: FigureKey, parts: Iterable[FigureKey]) -> Constraint:
        """whole = Σ parts."""
        return cls(((whole, 1.0), *((p, -1.0) for p in parts)))

    @classmethod
    def at_most(cls, part: FigureKey, whole: FigureKey) -> Constraint:
        """part ≤ whole."""
        return cls(((part, 1.0), (whole, -1.0)), 0.0, equality=False)


@dataclass
class System:
    """units and constraints; `nonnegative`: every figure is known to be at least 0 (use,
    counts), which the reader may use too."""

    units: dict[UnitKey, Unit] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    nonnegative: bool = True

    def __post_init__(self) -> None:
        self._owner: dict[FigureKey, UnitKey] = {}
        for key, unit in self.units.items():
            self._own(key, unit)

    def _own(self, key: UnitKey, unit: Unit) -> None:
        for f in unit.figures:
            if f in self._owner and self._owner[f] != key:
                raise ValueError(f"figure {f!r} belongs to two units: {self._owner[f]!r}, {key!r}")
            self._owner[f] = key

    def add(self, key: UnitKey, unit: Unit) -> None:
        if key in self.units:
            raise ValueError(f"unit {key!r} added twice")
        self.units[key] = unit
        self._own(key, unit)

    def owner(self, figure: FigureKey) -> UnitKey:
        return self._owner[figure]

    def value(self, figure: FigureKey) -> float:
        return self.units[self._owner[figure]].figures[figure]

    def check(self, tolerance: float = 1e-6) -> None:
        """Every constraint holds on the true figures (a system that does not add up is a
        bug in whoever built it, and would make the audit meaningless)."""
        for c in self.constraints:
            for f, _ in c.coefs:
                if f not in self._owner:
                    raise ValueError(f"constraint names an unknown figure {f!r}")
            lhs = sum(coef * self.value(f) for f, coef in c.coefs)
            scale = tolerance * max(1.0, *(abs(self.value(f)) for f, _ in c.coefs))
            if (c.equality and abs(lhs - c.rhs) > scale) or (
                not c.equality and lhs > c.rhs + scale
            ):
                raise ValueError(f"constraint does not hold on the figures: {c}")


def hierarchy(cells: Mapping[tuple[str, ...], FigureKey], all_value: str) -> list[Constraint]:
    """Additivity of a crossed table: along each dimension, a cell whose coordinate is
    `all_value` is the sum of the cells with that coordinate given (the others equal).

    cells: coordinates → figure key. Missing cells are structural zeros (left out), and a
    sum whose whole is not a cell is no constraint: nested levels need no more than that
    (energy groups (district, dong, type): (d, all, t) = Σ_n (d, n, t), while
    (all, n, t) is not a group).
    """
    groups: dict[tuple[int, tuple[str, ...]], list[FigureKey]] = {}
    for coords, fig in cells.items():
        for i, v in enumerate(coords):
            if v != all_value:
                parent = (*coords[:i], all_value, *coords[i + 1 :])
                groups.setdefault((i, parent), []).append(fig)
    out: list[Constraint] = []
    for (_dim, parent), parts in groups.items():
        whole = cells.get(parent)
        if whole is not None:
            out.append(Constraint.total(whole, parts))
    return out
