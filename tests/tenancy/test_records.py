"""Tenancy records on both engines: one open tenancy per unit (also under a race), dates in
order, move-outs recorded when they happened; codes only for current tenancies; a programme
household's links revoked on their own."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine

from civic.board.codes import ForTenancy, NotIssued, ParticipationCodes, end_tenancy
from telemetry.db import tenancies
from telemetry.db.tenancies import TenancyError
from tests.tenancy.world import GONE, HOUSE, HOUSE_DAYS, HOUSEHOLD, World, month_start

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
D = dt.date


def test_one_open_tenancy_per_unit_and_dates_in_order(engine: Engine) -> None:
    with engine.begin() as conn:
        first = tenancies.move_in(conn, "apt", "101-1203", D(2024, 3, 10), NOW)
        with pytest.raises(TenancyError, match="has not moved out"):
            tenancies.move_in(conn, "apt", "101-1203", D(2024, 5, 1), NOW)
        with pytest.raises(TenancyError, match="before the move-in"):
            tenancies.move_out(conn, first, D(2024, 3, 9), NOW.date())
        with pytest.raises(TenancyError, match="in the future"):
            tenancies.move_out(conn, first, D(2026, 6, 2), NOW.date())
        ended = tenancies.move_out(conn, first, D(2025, 2, 14), NOW.date())
        with pytest.raises(TenancyError, match="already moved out"):
            tenancies.move_out(conn, ended, D(2025, 2, 15), NOW.date())
        with pytest.raises(TenancyError, match="before the last tenant"):
            tenancies.move_in(conn, "apt", "101-1203", D(2025, 2, 13), NOW)
        second = tenancies.move_in(conn, "apt", "101-1203", D(2025, 2, 14), NOW)
        other = tenancies.move_in(conn, "apt", "101-1204", D(2024, 1, 1), NOW)
        assert [t.id for t in tenancies.of_unit(conn, "apt", "101-1203")] == [first.id, second.id]
        assert tenancies.current(conn, "apt", "101-1203") == second
        assert {t.id for t in tenancies.of_site(conn, "apt", open_only=True)} == {
            second.id,
            other.id,
        }
    assert (ended.moved_in, ended.moved_out) == (D(2024, 3, 10), D(2025, 2, 14))


def test_concurrent_move_ins_of_one_unit_admit_one(engine: Engine) -> None:
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        start.wait()
        try:
            with engine.begin() as conn:
                tenancies.move_in(conn, "apt", "102-101", D(2025, 1, 1), NOW)
            outcomes.append("in")
        except TenancyError:
            outcomes.append("refused")
        except Exception as exc:  # PostgreSQL may refuse at commit under the unique index
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("in") == 1, outcomes
    with engine.connect() as conn:
        assert len(tenancies.of_unit(conn, "apt", "102-101")) == 1


def test_codes_only_for_current_tenancies_and_a_move_out_cancels_them(engine: Engine) -> None:
    codes = ParticipationCodes(engine, b"records-signing-key-0123", clock=lambda: NOW)
    with engine.begin() as conn:
        lives = tenancies.move_in(conn, "apt", "101-1203", D(2024, 3, 10), NOW)
    [code] = codes.issue("apt", "2914083000", [ForTenancy("101-1203", lives.id)], "b")
    with pytest.raises(NotIssued):
        codes.issue("other", "2914083000", [ForTenancy("101-1203", lives.id)], "b")
    with pytest.raises(NotIssued):
        codes.issue(
            "apt", "2914083000", [ForTenancy("a", lives.id), ForTenancy("b", lives.id)], "b"
        )
    resident = codes.redeem(code.code)
    with engine.begin() as conn:
        tenancies.move_out(conn, lives, D(2026, 5, 31), NOW.date())
        assert end_tenancy(conn, lives.id, NOW) == (1, 0)  # redeemed, still cancelled
    with pytest.raises(NotIssued):
        codes.issue("apt", "2914083000", [ForTenancy("101-1203", lives.id)], "b")
    assert codes.resident(resident.id) is not None


def test_a_programme_households_links_are_revoked_on_their_own(world: World) -> None:
    world.move_in("101-1203", world.today() - dt.timedelta(days=90))
    unit_link = world.link("101-1203")
    ops = world.operator()
    signed = ops.post("/v1/staff/links/sign", {"household": HOUSE})
    assert signed.status_code == 200, signed.text
    house_link = signed.json()["token"]
    assert house_link.split("~")[1] == f"h.{HOUSE}"
    opened = world.client().get("/v1/household/months", params={"token": house_link})
    assert opened.status_code == 200 and opened.json()["household"] == HOUSE
    r = ops.post("/v1/staff/links/revoke", {"household": HOUSE})
    assert r.status_code == 200 and r.json()["link_version"] == 2
    refused = world.client().get("/v1/household/months", params={"token": house_link})
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert world.client().get("/v1/household/months",
                              params={"token": unit_link}).status_code == 200  # fmt: skip
    # A programme household at a unit is signed as its unit's tenancy, never by its id.
    at_unit = ops.post("/v1/staff/links/sign", {"household": HOUSEHOLD}).json()["token"]
    assert at_unit.split("~")[1].startswith("t.")
    assert ops.post("/v1/staff/links/revoke", {"household": "nobody"}).status_code == 404
    assert ops.post("/v1/staff/links/revoke", {"site": "apt"}).status_code == 422


def test_a_household_at_no_unit_is_bounded_by_its_registry_dates(world: World) -> None:
    ops = world.operator()
    mine = ops.post("/v1/staff/links/sign", {"household": HOUSE}).json()["token"]
    body = world.client().get("/v1/household/months", params={"token": mine}).json()
    moved_in = world.today() - dt.timedelta(days=HOUSE_DAYS)
    first = moved_in if moved_in.day == 1 else month_start(moved_in, 1)
    assert body["first_month"] == first.strftime("%Y-%m")
    gone = ops.post("/v1/staff/links/sign", {"household": GONE}).json()["token"]
    refused = world.client().get("/v1/household/months", params={"token": gone})
    assert refused.status_code == 401 and "moved out" in refused.json()["detail"]


def test_a_code_of_a_tenancy_that_has_ended_opens_nothing(engine: Engine) -> None:
    """Even one the move-out did not cancel (issued in a race with it)."""
    from civic.board.codes import CodeRefused, Refusal

    codes = ParticipationCodes(engine, b"records-signing-key-0123", clock=lambda: NOW)
    with engine.begin() as conn:
        lives = tenancies.move_in(conn, "apt", "101-1203", D(2024, 3, 10), NOW)
    [code] = codes.issue("apt", "2914083000", [ForTenancy("101-1203", lives.id)], "b")
    with engine.begin() as conn:  # moved out without end_tenancy: the code is still live
        tenancies.move_out(conn, lives, D(2026, 5, 31), NOW.date())
    with pytest.raises(CodeRefused) as refused:
        codes.redeem(code.code)
    assert refused.value.reason is Refusal.CANCELLED
