"""Pure parts: counter differences, groups, the privacy rule, KST days."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collector.rollup.aggregate import aggregate
from collector.rollup.counters import Window, usage_by_period
from collector.rollup.groups import Holders, SiteInfo, is_public
from collector.rollup.periods import DAY_MS, HOUR_MS, day_of, days_touching, hour_of

RATE = 100_000.0  # kWh per hour at most


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=50))
def test_usage_of_a_monotonic_counter_is_last_minus_first(increments: list[float]) -> None:
    counter, series = 500.0, [(0, 500.0)]
    for i, inc in enumerate(increments, start=1):
        counter += inc
        series.append((i * 600_000, counter))
    per_hour, events = usage_by_period(series, hour_of, RATE, Window(1, 10**13))
    total = sum(u.consumption for u in per_hour.values())
    assert abs(total - (counter - 500.0)) < 1e-6 * max(1.0, counter)
    assert all(u.resets == 0 for u in per_hour.values()) and events == []


def test_usage_goes_to_the_hour_of_the_later_reading() -> None:
    series = [(-1000, 9.0), (HOUR_MS - 1000, 10.0), (HOUR_MS + 1000, 11.0)]
    series += [(2 * HOUR_MS + 5 + i * 60_000, 2.0 + i) for i in range(4)]
    got, events = usage_by_period(series, hour_of, RATE, Window(0, 3 * HOUR_MS))
    assert {h: (u.consumption, u.resets) for h, u in got.items()} == {
        0: (1.0, 0),
        HOUR_MS: (1.0, 0),
        2 * HOUR_MS: (5.0, 1),  # restarted from 0: 2 used, then 3 more
    }
    assert [e.kind.value for e in events] == ["reset"]


def test_context_outside_the_window_adds_nothing() -> None:
    series = [(i * 60_000, 100.0 + i) for i in range(10)]
    got, _ = usage_by_period(series, hour_of, RATE, Window(3 * 60_000, 6 * 60_000))
    assert sum(u.consumption for u in got.values()) == 3.0


def test_a_glitch_at_a_window_edge_is_settled_by_the_readings_beyond_it() -> None:
    series = [(i * 60_000, 100.0 + i) for i in range(12)]
    series[6] = (6 * 60_000, 0.0)
    # Window starting at the glitch: the readings before it hold the level.
    late, events = usage_by_period(series, hour_of, RATE, Window(6 * 60_000, HOUR_MS))
    assert sum(u.consumption for u in late.values()) == 6.0  # 105 -> 111
    assert [(e.ts, e.kind.value) for e in events] == [(6 * 60_000, "glitch")]
    # Window ending just after it: the readings after settle it, and add nothing here.
    early, events = usage_by_period(series, hour_of, RATE, Window(0, 7 * 60_000))
    assert sum(u.consumption for u in early.values()) == 5.0
    assert [e.kind.value for e in events] == ["glitch"]
    # Nothing after it yet: pending, counting nothing.
    open_end, events = usage_by_period(series[:7], hour_of, RATE, Window(0, HOUR_MS))
    assert (open_end[0].consumption, open_end[0].pending, events) == (5.0, 1, [])


def test_site_belongs_to_six_groups() -> None:
    info = SiteInfo("s", "29200", "2920064000", "industrial", 0)
    groups = {(g.district, g.dong, g.building_type) for g in info.groups()}
    assert groups == {
        ("all", "all", "all"),
        ("all", "all", "industrial"),
        ("29200", "all", "all"),
        ("29200", "all", "industrial"),
        ("29200", "2920064000", "all"),
        ("29200", "2920064000", "industrial"),
    }


def test_privacy_rule_counts_households_else_sites() -> None:
    holders = Holders()
    for i in range(4):
        holders.add_site(SiteInfo(f"h{i}", "d", "x", "detached_house", 1))
    assert not is_public(holders, 5)
    holders.add_site(SiteInfo("h4", "d", "x", "detached_house", 1))
    assert is_public(holders, 5)
    # Several meters of one site: one site, several meters (aggregate folds per site).
    plants = {f"p{i}": SiteInfo(f"p{i}", "d", "x", "industrial", 0) for i in range(5)}
    items = [("electricity", f"p{i}", 0, 1.0, 1) for i in range(5) for _meter in range(3)]
    cells, _ = aggregate(items, plants)
    city = next(
        c for (_u, _t, g), c in cells.items() if g.district == "all" and g.building_type == "all"
    )
    assert is_public(city.holders, 5) and city.holders.meters == 15
    assert city.holders.sites == 5 and city.total == 15.0


def test_groups_with_the_same_sites_share_a_key_whatever_the_order() -> None:
    a, b = SiteInfo("a", "d", "x", "apartment", 1), SiteInfo("b", "d", "x", "apartment", 1)
    one, two = Holders(), Holders()
    one.add_site(a)
    one.add_site(b)
    two.add_site(b)
    two.add_site(a)
    assert one.same_sites() == two.same_sites()
    two.add_site(b, -1)  # a site leaving (a rebuilt period) restores the key
    assert two.same_sites() != one.same_sites() and two.sites == 1


def test_days_are_korean_days() -> None:
    # 2026-01-01 00:00 KST is 2025-12-31 15:00 UTC.
    kst_midnight = 1767193200000
    assert day_of(kst_midnight) == kst_midnight
    assert day_of(kst_midnight - 1) == kst_midnight - DAY_MS
    assert days_touching(kst_midnight - 1, kst_midnight + 1) == [
        kst_midnight - DAY_MS,
        kst_midnight,
    ]


def test_line_protocol_escapes_and_types() -> None:
    from telemetry.lineproto import line

    text = line("live 1m", {"b": "x y", "a": "p,q=r"}, {"rate": 1.5, "meters": 3, "s": 'a"b'}, 42)
    assert text == 'live\\ 1m,a=p\\,q\\=r,b=x\\ y rate=1.5,meters=3i,s="a\\"b" 42'


def test_complementary_suppression_withholds_the_smallest_sibling() -> None:
    from collector.rollup.complementary import publishable
    from collector.rollup.groups import Group

    cells: dict = {}

    def add(site: str, district: str, dong: str, bt: str, households: int) -> None:
        info = SiteInfo(site, district, dong, bt, households)
        for g in info.groups():
            cells.setdefault(g, Holders()).add_site(info)

    add("h1", "29110", "2911052500", "detached_house", 1)  # one household alone in 동구
    add("apt", "29140", "2914083000", "apartment", 840)
    for i in range(6):
        add(f"f{i}", "29200", "2920064000", "industrial", 0)
    for i in range(5):
        add(f"s{i}", "29155", "2915551000", "education", 0)
    public, extra = publishable(cells, 5)
    assert Group("all", "all", "all") in public
    assert Group("29110", "all", "all") not in public
    # 동구 = city - 서구 - 광산구 - 남구 would be the household: 남구 (5 sites, the
    # smallest) goes too,
    # with every group that is the same figure.
    assert Group("29155", "all", "all") in extra
    assert Group("all", "all", "education") in extra
    assert Group("29155", "2915551000", "education") in extra
    assert Group("29200", "all", "all") in public


def test_touched_sites_start_at_the_hour_of_their_oldest_new_reading() -> None:
    from collector.rollup.source import Arrival
    from collector.rollup.touched import ArrivalLog

    h = 1_800_000_000_000 - 1_800_000_000_000 % 3_600_000
    log = ArrivalLog()
    arrivals = [
        Arrival("c1", 1, "a", h + 120_000, h + 180_000),
        Arrival("c1", 2, "b", h - 3_600_000 + 5_000, h - 3_600_000 + 65_000),  # a replay
        Arrival("c2", 1, "a", h + 60_000, h + 60_000),
    ]
    touched = log.take(arrivals)
    assert touched.markers == 3
    assert touched.windows(0) == [(h - 3_600_000, ["b"]), (h, ["a"])]
    assert touched.minute_spans(0, h + 600_000) == [
        (h - 3_600_000, h - 3_600_000 + 120_000),
        (h + 60_000, h + 240_000),
    ]
    assert log.take(arrivals).markers == 0  # already taken
    log.forget_before(2)
    assert log.take(arrivals).markers == 2  # forgotten: taken again (recomputing is idempotent)
