"""The units of a site (동/호 of an apartment complex, tenants' units of an industrial complex)
and the normaliser that turns the ways people write a unit into its one id.

A units file per site lives in the directory the sites file names (`units:`,
e.g. `config/units/<site>.yaml`): generated for the demo sites
(`python -m api units generate`), imported for a real complex from a K-apt
style CSV (`python -m api units import-csv`). A unit id is canonical:
`<동>-<호>` with no leading zeros for apartments ("101-1203"), an identifier
for an industrial tenant's unit ("b1-03").

Spellings resolve by their tokens: Unicode is folded (NFKC, so full-width
digits count), case is folded, the text is cut into runs of digits and runs
of letters, the words 동, 호, 제, dong, ho, no are dropped and numbers lose
their leading zeros. "101동 1203호", "101-1203", "0101-1203", "101 1203" and
"제101동 제1203호" are all (101, 1203), which is unit "101-1203". A spelling
that matches no unit is refused with the closest units (difflib) so the
person typing sees what they meant; two units never share tokens (the
loader refuses such a file).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from telemetry.config.strict import FrozenStrictModel
from telemetry.ids import Identifier

VERSION = 1
MAX_SPELLING = 40
SUGGESTIONS = 3
CUTOFF = 0.6
# Words around the numbers of a unit that say nothing about which unit it is.
NOISE = frozenset({"동", "호", "제", "dong", "ho", "no", "unit", "번지"})
_TOKEN = re.compile(r"\d+|[a-z]+|[가-힣]+|[^\W\d_]+")
APARTMENT_UNIT = r"^[1-9][0-9]{0,3}-[1-9][0-9]{0,4}$"

UnitId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$")]
Token = str | int
Key = tuple[Token, ...]


class UnitKind(StrEnum):
    APARTMENT = "apartment"  # 동/호 of an apartment complex: "101-1203"
    TENANT = "tenant"  # a tenant's unit of an industrial complex: "b1-03"


class UnitsFile(FrozenStrictModel):
    """config/units/<site>.yaml."""

    site: Identifier
    kind: UnitKind
    units: list[UnitId] = Field(min_length=1)


class UnitNotFound(ValueError):
    """A spelling that names no unit of the site; `suggestions` are the closest units."""

    def __init__(self, site: str, given: str, suggestions: list[str]) -> None:
        self.site = site
        self.given = given
        self.suggestions = suggestions
        near = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no unit {given!r} at site {site!r}{near}")


def tokens(spelling: str) -> Key:
    """What a spelling says about its unit: numbers (no leading zeros) and words, noise out."""
    folded = unicodedata.normalize("NFKC", spelling).casefold()
    out: list[Token] = []
    for t in _TOKEN.findall(folded):
        if t.isdigit():
            out.append(int(t))
        elif t not in NOISE:
            out.append(t)
    return tuple(out)


def _shown(key: Key) -> str:
    return "-".join(str(t) for t in key)


@dataclass(frozen=True)
class SiteUnits:
    """One site's units, by id, and their look-up by any common spelling."""

    site: str
    kind: UnitKind
    units: tuple[str, ...]
    _by_key: dict[Key, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({tokens(u): u for u in self.units})

    def resolve(self, spelling: str) -> str:
        """The unit id a spelling names; UnitNotFound (with the closest units) otherwise."""
        given = spelling.strip()
        key = tokens(given[: MAX_SPELLING + 1]) if given else ()
        if len(given) <= MAX_SPELLING and key in self._by_key:
            return self._by_key[key]
        raise UnitNotFound(self.site, given[:MAX_SPELLING], self.closest(key))

    def closest(self, key: Key) -> list[str]:
        """The units nearest a spelling's tokens: same first token (동 or building) first, then
        the same characters in another order (swapped digits), then difflib's ratio."""
        if not key:
            return []
        given = _shown(key)
        scored = []
        for k, unit in self._by_key.items():
            shown = _shown(k)
            ratio = difflib.SequenceMatcher(None, given, shown).ratio()
            if ratio >= CUTOFF:
                scored.append((k[:1] == key[:1], sorted(shown) == sorted(given), ratio, unit))
        scored.sort(key=lambda s: (s[0], s[1], s[2]), reverse=True)
        return [unit for *_, unit in scored[:SUGGESTIONS]]


def clashes(units: list[str]) -> list[tuple[int, str]]:
    """(index, earlier unit) of every unit whose spelling another one already has."""
    first: dict[Key, str] = {}
    out: list[tuple[int, str]] = []
    for index, unit in enumerate(units):
        key = tokens(unit)
        if key in first:
            out.append((index, first[key]))
        first.setdefault(key, unit)
    return out


def apartment_units(blocks: dict[int, tuple[int, int]]) -> list[str]:
    """Every unit of blocks {동: (floors, lines per floor)}: 호 = floor × 100 + line."""
    return [
        f"{dong}-{floor * 100 + line}"
        for dong, (floors, lines) in sorted(blocks.items())
        for floor in range(1, floors + 1)
        for line in range(1, lines + 1)
    ]


def tenant_units(buildings: dict[str, int]) -> list[str]:
    """Every tenant unit of buildings {name: units}: "<building>-<nn>"."""
    return [f"{b}-{n:02d}" for b, count in buildings.items() for n in range(1, count + 1)]


def units_yaml(site: str, kind: UnitKind, units: list[str], made_by: str) -> str:
    """A units file's text (one unit a line, so a diff shows the units that changed)."""
    lines = [
        f"# Units of site {site}: {made_by}.",
        "# Format: config/README.md (Units). A unit id is <동>-<호> for apartments,",
        "# an identifier for industrial tenants' units.",
        f"version: {VERSION}",
        f"site: {site}",
        f"kind: {kind.value}",
        "units:",
        *(f'  - "{u}"' for u in units),
    ]
    return "\n".join(lines) + "\n"


# K-apt (공동주택관리정보시스템) style unit lists: a header row naming the 동 and 호
# columns (Korean or English), any other columns ignored.
DONG_COLUMNS = ("동", "동명", "dong", "block")
HO_COLUMNS = ("호", "호수", "ho", "unit")


def read_unit_csv(text: str, source: str) -> list[str]:
    """Apartment unit ids from a CSV with 동 and 호 columns; ValueError naming source:line."""
    import csv

    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    if not rows:
        raise ValueError(f"{source}: empty file")
    header = [h.strip().casefold() for h in rows[0]]
    dong_col = next((header.index(c) for c in DONG_COLUMNS if c in header), None)
    ho_col = next((header.index(c) for c in HO_COLUMNS if c in header), None)
    if dong_col is None or ho_col is None:
        raise ValueError(
            f"{source}:1: the header needs a 동 column ({', '.join(DONG_COLUMNS)}) "
            f"and a 호 column ({', '.join(HO_COLUMNS)}); got {', '.join(rows[0])}"
        )
    units: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            dong, ho = row[dong_col], row[ho_col]
        except IndexError:
            raise ValueError(f"{source}:{number}: fewer columns than the header") from None
        numbers = [t for t in tokens(f"{dong} {ho}") if isinstance(t, int)]
        if len(numbers) != 2 or len(tokens(f"{dong} {ho}")) != 2 or 0 in numbers:
            raise ValueError(f"{source}:{number}: 동 {dong!r} 호 {ho!r} is not two numbers")
        unit = f"{numbers[0]}-{numbers[1]}"
        if unit in seen:
            raise ValueError(f"{source}:{number}: unit {unit} again (first on line {seen[unit]})")
        seen[unit] = number
        units.append(unit)
    if not units:
        raise ValueError(f"{source}: no unit listed")
    return units
