"""Participation codes expire, a new code cancels the household's older ones and ends its
sessions (evicting whoever found a lost code), and revocation does the same without a new code;
a cancelled or expired code is refused with its own reason, in words on the portal."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api import session
from api.cli import app as cli
from civic.board.codes import CodeRefused, ParticipationCodes, Refusal
from telemetry.db import make_engine
from telemetry.db.tables import residents
from tests.civic.board_api import portal_sign_in
from tests.trust.conftest import World

ALERT = re.compile(r'role="alert">(.*?)<')


def _refused(world: World, code: str) -> dict:
    r = world.client().post("/v1/board/redeem", json={"code": code})
    assert r.status_code == 410 and session.COOKIE not in r.cookies, r.text
    return r.json()


def test_a_reissued_code_is_cancelled_and_its_finder_signed_out(world: World) -> None:
    [lost] = world.codes(["101-1"])
    finder = world.client()
    world.sign_in(finder, lost)
    assert finder.get("/v1/board/me").status_code == 200
    [new] = world.codes(["101-1"])  # the household asks for a new code
    assert finder.get("/v1/board/me").status_code == 401
    resident = world.client()
    world.sign_in(resident, new)
    assert resident.get("/v1/board/me").status_code == 200
    with world.engine.connect() as conn:  # the household's one account, back in its hands
        assert conn.execute(select(func.count()).select_from(residents)).scalar_one() == 1
    [unused] = world.codes(["101-2"])
    world.codes(["101-2"])
    for code in (lost, unused):  # cancelled, redeemed or not
        problem = _refused(world, code)
        assert problem["type"] == "/problems/code-cancelled" and "cancelled" in problem["detail"]


def test_an_expired_code_is_refused_as_expired(world: World) -> None:
    [code, kept] = world.codes(["101-1", "101-2"])
    world.sign_in(world.client(), kept)
    world.clock.advance(timedelta(days=world.config.code_lifetime_days))
    problem = _refused(world, code)
    assert problem["type"] == "/problems/code-expired" and "expired" in problem["detail"]
    # A code used in time is "used", not "expired".
    r = world.client().post("/v1/board/redeem", json={"code": kept})
    assert r.status_code == 409 and r.json()["type"] == "/problems/code-used"


@pytest.mark.parametrize(
    ("lang", "expired", "cancelled"),
    [("ko", "유효 기간이 지난", "취소된"), ("en", "has expired", "was cancelled")],
)
def test_the_portal_says_why_a_code_is_refused(
    world: World, lang: str, expired: str, cancelled: str
) -> None:
    [old, late] = world.codes(["101-1", "101-2"])
    world.codes(["101-1"])  # cancels `old`
    browser = world.client()
    r = portal_sign_in(browser, old)
    assert r.status_code == 410 and session.COOKIE not in r.cookies
    world.clock.advance(timedelta(days=world.config.code_lifetime_days))
    for code, words in ((old, cancelled), (late, expired)):
        page = browser.get(f"/board/redeem?lang={lang}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        r = browser.post(f"/board/redeem?lang={lang}", data={"code": code, "csrf_token": token[1]})
        assert r.status_code == 410 and words in ALERT.findall(r.text)[0]
        assert session.COOKIE not in browser.cookies


def test_a_manager_revokes_a_households_codes_and_sessions(world: World) -> None:
    [used, spare] = world.codes(["101-1", "101-2"])
    finder = world.client()
    world.sign_in(finder, used)
    other_site = world.manager("ind-1").post(
        "/v1/board/codes/revoke", json={"site": "apt", "household": "101-1"}
    )
    assert other_site.status_code == 403
    anyone = world.client().post(
        "/v1/board/codes/revoke", json={"site": "apt", "household": "101-1"}
    )
    assert anyone.status_code == 401
    assert finder.get("/v1/board/me").status_code == 200
    r = world.manager().post("/v1/board/codes/revoke", json={"site": "apt", "household": "101-1"})
    assert r.status_code == 200 and r.json() == {"codes_cancelled": 1, "sessions_ended": 1}
    assert finder.get("/v1/board/me").status_code == 401
    assert _refused(world, used)["type"] == "/problems/code-cancelled"
    world.sign_in(world.client(), spare)  # another household's code still works
    again = world.manager().post(
        "/v1/board/codes/revoke", json={"site": "apt", "household": "101-1"}
    )
    assert again.json() == {"codes_cancelled": 0, "sessions_ended": 0}


def test_the_revoke_command(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "cli-signing-key-0123456789"
    monkeypatch.setenv("ENERGY_API_SIGNING_KEY", key)
    households = tmp_path / "households.txt"
    households.write_text("101-1203\n101-1204\n", encoding="utf-8")
    run = CliRunner()
    for unit in ("101-1203", "101-1204"):
        moved = run.invoke(cli, ["tenancy", "move-in", "pungam-lh-apt", unit, "--db-url", db_url])
        assert moved.exit_code == 0, moved.output
    done = run.invoke(
        cli, ["codes", "pungam-lh-apt", "--households", str(households), "--db-url", db_url]
    )
    assert done.exit_code == 0, done.output
    first, second = re.findall(r"Code: (\S+)", done.output)
    revoked = run.invoke(cli, ["codes-revoke", "pungam-lh-apt", "101동 1203호", "--db-url", db_url])
    assert revoked.exit_code == 0 and "1 code(s) cancelled" in revoked.output, revoked.output
    nothing = run.invoke(cli, ["codes-revoke", "pungam-lh-apt", "101-9999", "--db-url", db_url])
    assert nothing.exit_code != 0 and "closest" in nothing.output
    empty = run.invoke(cli, ["codes-revoke", "pungam-lh-apt", "101-101", "--db-url", db_url])
    assert empty.exit_code != 0 and "no current tenant" in empty.output
    engine = make_engine(db_url)
    try:
        codes = ParticipationCodes(engine, key.encode())
        with pytest.raises(CodeRefused) as refused:
            codes.redeem(first)
        assert refused.value.reason is Refusal.CANCELLED
        assert codes.redeem(second).site == "pungam-lh-apt"
    finally:
        engine.dispose()
