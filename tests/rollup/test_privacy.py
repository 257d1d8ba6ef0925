"""Privacy of the public bucket, checked against site sets derived from raw readings:
no group below k, and no withheld group recoverable as parent minus published parts."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from devstack import InfluxServer
from telemetry.influx_schema import rollup_from
from tests.rollup import brute, city
from tests.rollup.conftest import RolledCity, write_city

pytestmark = pytest.mark.timeout(120)
K = 5
HOUSEHOLDS = {"apt": 840, **dict.fromkeys(city.HOUSEHOLDS, 1)}
ALL = "all"


def _site_sets(c: RolledCity) -> dict[tuple, set[str]]:
    """(utility, district, dong, building_type, hour) -> sites with a reading in that hour."""
    out: dict[tuple, set[str]] = defaultdict(set)
    for utility, field in brute.UTILITY_COUNTER.items():
        for tags, values in brute.raw_rows(c.ql, c.raw, utility, field).items():
            t = dict(tags)
            for ts, _ in values:
                for g in brute._groups(t):
                    out[(utility, *g, ts - ts % brute.HOUR)].add(t["site"])
    return out


def _holders(sites: set[str]) -> int:
    return sum(HOUSEHOLDS.get(s, 0) for s in sites) + sum(s not in HOUSEHOLDS for s in sites)


def _partitions(d: str, n: str, b: str, keys: set[tuple[str, str, str]]) -> list[list[tuple]]:
    parts = []
    if d == ALL:
        parts.append([g for g in keys if g[0] != ALL and g[1] == ALL and g[2] == b])
    if d != ALL and n == ALL:
        parts.append([g for g in keys if g[0] == d and g[1] != ALL and g[2] == b])
    if b == ALL:
        parts.append([g for g in keys if g[0] == d and g[1] == n and g[2] != ALL])
    return [p for p in parts if p]


def test_no_withheld_group_can_be_derived(rolled: RolledCity) -> None:
    sites = _site_sets(rolled)
    public = set(
        brute.stored(rolled.ql, rolled.public, "consumption_1h", "consumption", public=True)
    )
    assert public
    by_slice: dict[tuple, set[tuple]] = defaultdict(set)
    for utility, d, n, b, hour in sites:
        by_slice[(utility, hour)].add((d, n, b))
    checked = 0
    for (utility, hour), groups in by_slice.items():
        for parent in groups:
            if (utility, *parent, hour) not in public:
                continue
            for part in _partitions(*parent, groups):
                hidden = [g for g in part if (utility, *g, hour) not in public]
                if hidden and len(hidden) < len(part):
                    residual = set().union(*(sites[(utility, *g, hour)] for g in hidden))
                    assert _holders(residual) >= K, (utility, parent, hidden)
                    checked += 1
        # A published group never holds exactly the sites of a withheld one.
        shown = {
            frozenset(sites[(utility, *g, hour)]) for g in groups if (utility, *g, hour) in public
        }
        for g in groups:
            if (utility, *g, hour) not in public:
                assert frozenset(sites[(utility, *g, hour)]) not in shown, (utility, g)
    assert checked > 0  # the city has differences to close


def test_the_smallest_sibling_is_withheld_for_the_households(rolled: RolledCity) -> None:
    public = brute.stored(rolled.ql, rolled.public, "consumption_1h", "consumption", public=True)
    districts = {k[1] for k in public if k[0] == "electricity" and k[2] == ALL and k[3] == ALL}
    assert districts == {ALL, city.APARTMENT_DONG[0], city.INDUSTRIAL_DONG[0]}
    rows = rolled.ql.rows(
        f"SELECT holders, complementary FROM {rollup_from('suppressed')} WHERE district = '{city.SCHOOL_DONG[0]}' "
        "AND \"measurement\" = 'consumption_1h'",
        rolled.raw,
    )
    assert rows and all(r["complementary"] == 1 and r["holders"] == 5 for r in rows)


def _markers(c: RolledCity, measurement: str) -> dict[tuple, dict]:
    rows = c.ql.rows(
        f"SELECT * FROM withheld WHERE \"measurement\" = '{measurement}' "
        "GROUP BY utility, district, dong, building_type",
        c.public,
        epoch="ms",
    )
    return {
        (r["utility"], r["district"], r["dong"], r["building_type"], r["time"]): r for r in rows
    }


SCHOOL_GROUPS = {
    (city.SCHOOL_DONG[0], ALL, ALL),
    (city.SCHOOL_DONG[0], ALL, "education"),
    (*city.SCHOOL_DONG, ALL),
    (*city.SCHOOL_DONG, "education"),
    (ALL, ALL, "education"),
}


def test_complementary_withheld_group_has_a_public_marker_and_no_value(rolled: RolledCity) -> None:
    for measurement in ("live_1m", "consumption_1h", "consumption_1d"):
        public = brute.stored(rolled.ql, rolled.public, measurement, "*", public=True)
        private = brute.stored(rolled.ql, rolled.raw, measurement, "*")
        markers = _markers(rolled, measurement)
        # One marker per point withheld by complementary suppression (the private record
        # says which; live_1m's per hour), at the point's timestamp...
        held = rolled.ql.rows(
            f"SELECT complementary FROM {rollup_from('suppressed')} WHERE \"measurement\" = '{measurement}' "
            "GROUP BY utility, district, dong, building_type",
            rolled.raw,
            epoch="ms",
        )
        complementary = {
            (r["utility"], r["district"], r["dong"], r["building_type"], r["time"])
            for r in held
            if r["complementary"] == 1
        }
        withheld = {k for k in private if (*k[:4], k[4] - k[4] % brute.HOUR) in complementary}
        if measurement != "live_1m":
            withheld = {k for k in private if k in complementary}
        assert withheld and set(markers) == withheld, measurement
        # The schools (k sites, withheld for the households) and Seo-gu's solar (apt's,
        # withheld so that city minus it does not give ind-1's) are among them.
        assert {k[1:4] for k in withheld if k[0] == "electricity"} == SCHOOL_GROUPS
        assert ("solar", city.APARTMENT_DONG[0], ALL, ALL) in {k[:4] for k in withheld}
        assert not withheld & set(public), measurement  # ...and no value.
        assert all(row["reason"] == "complementary" for row in markers.values())
        # The households' groups (below k) have neither a value nor a marker.
        below_k = [
            key
            for key in (*public, *markers)
            if city.SUPPRESSED_DISTRICT in key or key[3] == "detached_house"
        ]
        assert below_k == [], measurement
        assert any(city.SUPPRESSED_DONG in key for key in private)
    tags = rolled.ql.rows("SHOW TAG VALUES FROM withheld WITH KEY = district", rolled.public)
    assert city.SUPPRESSED_DISTRICT not in {r["value"] for r in tags}
    fields = rolled.ql.rows("SHOW FIELD KEYS FROM withheld", rolled.public)
    assert {r["fieldKey"] for r in fields} == {"reason"}  # no numbers of the group


def test_a_group_published_by_a_later_pass_has_no_active_marker(
    rollup_influx: InfluxServer, tmp_path: Path
) -> None:
    """Buk-gu reaches k (hh-1 turns out to have 3 households): the schools need no longer
    be withheld; the next pass publishes them and retires their markers."""
    c = write_city(rollup_influx, tmp_path)
    try:
        c.rollup()
        before = _markers(c, "consumption_1h")
        schools = {k for k in before if k[0] == "electricity" and k[1:4] in SCHOOL_GROUPS}
        assert schools and all(before[k]["reason"] == "complementary" for k in schools)
        old = "building_type: detached_house\n    households: 1\n"
        text = city.sites_yaml()
        c.sites.write_text(text.replace(old, old.replace(": 1", ": 3"), 1), encoding="utf-8")
        c.rollup()
        for measurement in ("live_1m", "consumption_1h", "consumption_1d"):
            public = brute.stored(c.ql, c.public, measurement, "*", public=True)
            markers = _markers(c, measurement)
            active = {k for k, r in markers.items() if r["reason"] == "complementary"}
            assert not active & set(public), measurement  # never a figure and a marker
        after = _markers(c, "consumption_1h")
        public = brute.stored(c.ql, c.public, "consumption_1h", "*", public=True)
        assert schools <= set(public)
        assert all(after[k]["reason"] == "published" for k in schools)
    finally:
        c.ql.close()
