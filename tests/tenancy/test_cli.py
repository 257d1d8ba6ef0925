"""The operators' commands on both engines: tenancy move-in/move-out/list, sign-household by
unit, links revoke; every change in the audit log as `cli`; mistakes named with exit 2."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from telemetry.db import make_engine
from telemetry.db.tables import audit_log

KEY = "k1:cli-signing-key-0123456789"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENERGY_API_SIGNING_KEY", raising=False)
    monkeypatch.setenv("ENERGY_API_SIGNING_KEYS", KEY)


def test_tenancy_commands_links_and_the_audit_log(db_url: str) -> None:
    run = CliRunner()
    db = ["--db-url", db_url]
    day = dt.date.today() - dt.timedelta(days=30)
    moved = run.invoke(app, ["tenancy", "move-in", "pungam-lh-apt", "101동 1203호",
                             "--date", (day - dt.timedelta(days=400)).isoformat(), *db])  # fmt: skip
    assert moved.exit_code == 0 and "unit 101-1203 of pungam-lh-apt" in moved.output, moved.output
    signed = run.invoke(app, ["sign-household", "--unit", "pungam-lh-apt", "0101-1203", *db])
    assert signed.exit_code == 0, signed.output
    token = dict(line.split(":", 1) for line in signed.output.splitlines())["token"].strip()
    assert token.startswith("h3~t.1~") and token.split("~")[5] == "k1"
    # A programme household at a unit is signed as its unit's tenancy.
    by_id = run.invoke(app, ["sign-household", "--household", "pungam-101-1203", *db])
    assert "tenancy 1" in by_id.output
    revoked = run.invoke(app, ["links", "revoke", "--unit", "pungam-lh-apt", "101-1203", *db])
    assert revoked.exit_code == 0 and "link version 2" in revoked.output, revoked.output
    out = run.invoke(app, ["tenancy", "move-out", "pungam-lh-apt", "101-1203",
                           "--date", day.isoformat(), *db])  # fmt: skip
    assert out.exit_code == 0 and "0 code(s) cancelled" in out.output, out.output
    listed = run.invoke(app, ["tenancy", "list", "pungam-lh-apt", *db])
    assert f"1\t101-1203\t{day - dt.timedelta(days=400)}\t{day}" in listed.output
    assert run.invoke(app, ["tenancy", "list", "pungam-lh-apt", "--current", *db]).output == (
        "id\tunit\tmoved_in\tmoved_out\n"
    )
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
                            .order_by(audit_log.c.id)).all()  # fmt: skip
    engine.dispose()
    assert [(r.actor, r.action) for r in rows] == [
        ("cli", "tenancy.move_in"), ("cli", "links.revoke"), ("cli", "tenancy.move_out")]  # fmt: skip
    assert all("os_user" in r.detail for r in rows), [r.detail for r in rows]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["tenancy", "move-in", "pungam-lh-apt", "101-1230"], "closest: 101-1203"),
        (["tenancy", "move-out", "pungam-lh-apt", "101-1203"], "no current tenant"),
        (["tenancy", "move-in", "pungam-lh-apt", "101-1203", "--date", "2026-13-01"], "YYYY-MM-DD"),
        (["tenancy", "move-in", "hanam-ic", "c-01"], "closest"),
        (["sign-household", "hh-kim"], "retired"),
        (["sign-household", "--unit", "pungam-lh-apt", "101-1203"], "no current tenant"),
        (["links", "revoke", "--household", "nobody"], "nobody"),
        (["tenancy", "move-in", "no-such-site", "1"], "lists no units"),
    ],
)
def test_mistakes_are_named(db_url: str, args: list[str], said: str) -> None:
    done = CliRunner().invoke(app, [*args, "--db-url", db_url])
    assert done.exit_code == 2 and said in done.output, done.output


def test_both_signing_key_variables_are_refused(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENERGY_API_SIGNING_KEY", "0123456789abcdef0123")
    done = CliRunner().invoke(app, ["sign-household", "--household", "hakun-0007",
                                    "--db-url", db_url])  # fmt: skip
    assert done.exit_code == 2 and "not both" in done.output
