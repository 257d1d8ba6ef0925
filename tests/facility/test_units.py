"""Small rules of the facility pages, without a server."""

from __future__ import annotations

from types import SimpleNamespace

from stores.facility_live import simulated, sparklines, stale_after
from telemetry import facility_queries as fq


def meter(**connection: str) -> SimpleNamespace:
    return SimpleNamespace(connection=SimpleNamespace(**connection))


def test_a_meter_on_the_loopback_is_simulated_and_others_are_not() -> None:
    assert simulated(meter(host="127.0.0.1"))
    assert simulated(meter(host="localhost"))
    assert not simulated(meter(host="10.20.0.15"))
    assert not simulated(meter(host="gw-hanam.example"))
    assert not simulated(meter(device="/dev/ttyUSB0"))  # a serial line: a real bus


def test_stale_after_is_three_polls_and_never_under_two_minutes() -> None:
    assert stale_after(5) == 120.0
    assert stale_after(60) == 180.0
    assert stale_after(None) == 180.0


def test_the_page_scope_and_the_boards_scope_differ_only_in_their_conditions() -> None:
    page = fq.hourly_consumption(fq.Scope.exact("hanam-ic", 1000, 2000))
    board = fq.hourly_consumption(fq.Scope('"site" =~ /^$site$/', "$timeFilter"))
    assert page.replace(
        "\"site\" = 'hanam-ic' AND time >= 1000ms AND time < 2000ms", "X"
    ) == board.replace('"site" =~ /^$site$/ AND $timeFilter', "X")


def test_the_sparkline_leaves_out_bad_readings() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.queries: list[str] = []

        def series(self, q: str) -> list:  # type: ignore[type-arg]
            self.queries.append(q)
            return []

    rec = Recorder()
    sparklines(rec, "hanam-ic", {"electricity", "gas"}, 10_000_000)  # type: ignore[arg-type]
    assert len(rec.queries) == 2
    assert all("\"quality\" != 'bad'" in q for q in rec.queries)
    assert 'mean("power_kw") FROM "electricity"' in rec.queries[0]
    assert 'mean("flow_m3h") FROM "gas"' in rec.queries[1]
