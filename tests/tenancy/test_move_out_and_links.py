"""Move-outs and household links, tried as an attacker would through the real app on both
engines: after a move-out the old tenant's sessions, codes and link are refused and the new
tenant's link shows no month before their move-in; a revoked link is refused while another
household's still works; expired and retired links are refused with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.tenancy.world import World, figure, month_start

UNIT = "101-1203"


def _months(world: World, token: str) -> list[str]:
    r = world.client().get("/v1/household/months", params={"token": token})
    assert r.status_code == 200, r.text
    body = r.json()
    return [m["month"] for u in body["utilities"] for m in u["months"]]


def test_after_a_move_out_the_old_tenant_is_refused_and_the_new_sees_only_their_months(
    world: World,
) -> None:
    today = world.today()
    old_in = month_start(today, -24) + dt.timedelta(days=9)  # mid-month
    out_day = month_start(today, -8) + dt.timedelta(days=14)  # mid-month
    world.move_in(UNIT, old_in)
    old_link = world.link(UNIT)
    unused, used = world.codes([UNIT]), world.codes(["101동 1203호"])
    browser, csrf = world.resident(used[0])
    old_months = _months(world, old_link)
    # The old tenant's whole months only: not the move-in month, which it shared.
    assert old_months[0] == month_start(old_in, 1).strftime("%Y-%m")

    moved = world.move_out(UNIT, out_day)
    assert moved["codes_cancelled"] == 1 and moved["sessions_ended"] == 1
    assert browser.get("/v1/board/me").status_code == 401
    write = browser.post("/v1/board/posts", headers={"X-CSRF-Token": csrf},
                         json={"kind": "proposal", "title": "t", "body": "b",
                               "dong": "2914083000"})  # fmt: skip
    assert write.status_code == 401
    for code in (unused[0], used[0]):
        r = world.client().post("/v1/board/redeem", json={"code": code})
        assert r.status_code in (401, 409, 410), r.text
    refused = world.client().get("/v1/household/months", params={"token": old_link})
    assert refused.status_code == 401 and "moved out" in refused.json()["detail"]
    page = world.client().get("/household", params={"token": old_link})
    assert page.status_code == 401 and 'data-reason="moved_out"' in page.text
    assert f"{out_day}에 이사했으며" in page.text
    english = world.client().get("/household", params={"token": old_link, "lang": "en"})
    assert f"moved out on {out_day}" in english.text

    new_in = out_day + dt.timedelta(days=1)
    world.move_in("0101-1203", new_in)
    new_link = world.link("101 1203")
    new_months = _months(world, new_link)
    first_whole = month_start(new_in, 1)
    assert new_months and new_months[0] == first_whole.strftime("%Y-%m")
    assert all(m >= first_whole.strftime("%Y-%m") for m in new_months)
    # Asked for earlier months on purpose: still none before the move-in.
    early = world.client().get("/v1/household/months", params={
        "token": new_link, "start": old_in.isoformat(), "end": today.isoformat()})  # fmt: skip
    assert early.status_code == 200
    shown = [m for u in early.json()["utilities"] for m in u["months"]]
    assert shown and min(m["month"] for m in shown) == first_whole.strftime("%Y-%m")
    assert all(m["consumption"] >= figure(first_whole) for m in shown)
    page = world.client().get("/household", params={"token": new_link})
    assert page.status_code == 200
    assert str(figure(month_start(first_whole, -1))).split(".")[0] not in page.text
    # The old tenant's new code sheet is not possible either: the unit's household changed.
    browser, _ = world.resident(world.codes([UNIT])[0])
    assert browser.get("/v1/board/me").status_code == 200


def test_a_revoked_link_is_refused_and_another_households_still_works(world: World) -> None:
    start = world.today() - dt.timedelta(days=90)
    world.move_in(UNIT, start)
    world.move_in("102-101", start)
    mine, again, other = world.link(UNIT), world.link(UNIT), world.link("102-101")
    assert mine != other
    r = world.operator().post("/v1/staff/links/revoke", {"site": "apt", "unit": "101동 1203호"})
    assert r.status_code == 200 and r.json()["link_version"] == 2
    for token in (mine, again):
        refused = world.client().get("/v1/household/months", params={"token": token})
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    # The other household's link opens its page (no metered data at its unit: 404, not 401).
    assert world.client().get("/v1/household/months", params={"token": other}).status_code == 404
    page = world.client().get("/household", params={"token": other})
    assert page.status_code == 404 and 'data-reason="no_data"' in page.text
    revoked_page = world.client().get("/household", params={"token": mine})
    assert revoked_page.status_code == 401 and 'data-reason="revoked"' in revoked_page.text
    fresh = world.link(UNIT)
    assert world.client().get("/v1/household/months", params={"token": fresh}).status_code == 200


def test_a_link_expires_after_its_lifetime(world: World) -> None:
    world.move_in(UNIT, world.today() - dt.timedelta(days=90))
    token = world.link(UNIT)
    lifetime = world.app.state.config.household_links.lifetime_days
    world.clock.advance(dt.timedelta(days=lifetime + 1))
    r = world.client().get("/v1/household/months", params={"token": token})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    page = world.client().get("/household", params={"token": token})
    assert 'data-reason="expired"' in page.text


@pytest.mark.parametrize(
    "token",
    ["pungam-101-1203.c2lnbmF0dXJl", "hh-kim.c2lnbmF0dXJl"],
    ids=["version-2", "version-1"],
)
def test_retired_links_are_refused_naming_the_replacement(world: World, token: str) -> None:
    r = world.client().get("/v1/household/months", params={"token": token})
    assert r.status_code == 401 and "sign-household" in r.json()["detail"]
    page = world.client().get("/household", params={"token": token})
    assert page.status_code == 401 and 'data-reason="retired"' in page.text


def test_a_forged_link_is_refused(world: World) -> None:
    world.move_in(UNIT, world.today() - dt.timedelta(days=90))
    token = world.link(UNIT)
    parts = token.split("~")
    parts[1] = "t.2"  # another tenancy under the same MAC
    forged = "~".join(parts)
    assert world.client().get("/v1/household/months", params={"token": forged}).status_code == 401
    longer = token.split("~")
    longer[3] = "29991231"
    stretched = "~".join(longer)
    assert world.client().get("/v1/household/months",
                              params={"token": stretched}).status_code == 401  # fmt: skip
