"""Staff accounts: the CLI (`python -m api staff ...`), password hashing and its upgrade."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from staff.accounts import StaffAccounts, StaffRefused
from telemetry.db import audit, make_engine
from telemetry.db.tables import staff_users
from tests.staff.people import FAST_HASH

PASSWORD = "correct horse battery staple"


def _run(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["staff", *args, "--db-url", db_url], input=stdin)
    return result.exit_code, result.output


def test_the_cli_adds_changes_disables_and_lists_accounts_and_records_each(db_url: str) -> None:
    code, out = _run(db_url, "add", "kim", "--role", "moderator", "--role", "survey_admin",
                     "--display-name", "김민지", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0, out
    code, out = _run(
        db_url,
        "add",
        "choi",
        "--role",
        "facility_manager",
        "--site",
        "apt",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip  (the prompt, typed twice)
    assert code == 0 and "sites apt" in out, out
    assert (
        _run(
            db_url, "add", "kim", "--role", "moderator", "--password-stdin", stdin=PASSWORD + "\n"
        )[0]
        == 2
    )  # fmt: skip  (the name is taken)
    assert _run(db_url, "add", "x1", "--role", "mayor", "--password-stdin", stdin="")[0] == 2
    assert (
        _run(
            db_url,
            "add",
            "x2",
            "--role",
            "facility_manager",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )[0]
        == 2
    )  # fmt: skip  (a facility manager needs sites)
    assert _run(db_url, "add", "x3", "--role", "moderator", "--password-stdin",
                stdin="short\n")[0] == 2  # fmt: skip
    assert _run(db_url, "add", "x4", "--role", "moderator", "--password", PASSWORD)[0] == 2
    code, out = _run(db_url, "passwd", "kim", "--password-stdin", stdin="a new long password\n")
    assert code == 0, out
    assert _run(db_url, "disable", "choi")[0] == 0
    code, out = _run(db_url, "list")
    assert out.splitlines() == [
        "choi\tfacility_manager\tapt\tdisabled\tchoi",
        "kim\tmoderator,survey_admin\t-\tactive\t김민지",
    ]
    engine = make_engine(db_url)
    try:
        accounts = StaffAccounts(engine)
        assert accounts.verify("kim", "a new long password") is not None
        assert accounts.verify("kim", PASSWORD) is None
        assert accounts.verify("choi", PASSWORD) is None  # disabled
        with engine.connect() as conn:
            hashes = conn.execute(select(staff_users.c.password_hash)).scalars().all()
            entries = audit.entries(conn)
    finally:
        engine.dispose()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert [(e["actor"], e["action"], e["target_id"]) for e in reversed(entries)] == [
        ("cli", "staff.add", "kim"),
        ("cli", "staff.add", "choi"),
        ("cli", "staff.passwd", "kim"),
        ("cli", "staff.disable", "choi"),
    ]
    assert "os_user" in entries[0]["detail"]
    assert PASSWORD not in str(entries)


def test_a_weaker_hash_is_replaced_at_the_next_sign_in(engine) -> None:  # type: ignore[no-untyped-def]
    StaffAccounts(engine, hasher=FAST_HASH).add("kim", PASSWORD, ["moderator"], actor=audit.CLI)
    with engine.connect() as conn:
        before = conn.execute(select(staff_users.c.password_hash)).scalar_one()
    current = StaffAccounts(engine, hasher=PasswordHasher())  # the library's defaults
    assert current.verify("kim", "wrong password") is None
    with engine.connect() as conn:
        assert conn.execute(select(staff_users.c.password_hash)).scalar_one() == before
    assert current.verify("kim", PASSWORD) is not None
    with engine.connect() as conn:
        after = conn.execute(select(staff_users.c.password_hash)).scalar_one()
    assert after != before and not PasswordHasher().check_needs_rehash(after)
    assert current.verify("kim", PASSWORD) is not None  # the new hash opens it too


@pytest.mark.parametrize(
    ("name", "roles", "sites"),
    [
        ("Kim", ["moderator"], []),  # upper case
        ("k", ["moderator"], []),  # too short
        ("kim", [], []),
        ("kim", ["moderator"], ["apt"]),  # sites without the facility_manager role
        ("kim", ["facility_manager"], ["../etc"]),
    ],
)
def test_bad_accounts_are_refused(engine, name: str, roles: list[str], sites: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StaffRefused):
        StaffAccounts(engine, hasher=FAST_HASH).add(
            name, PASSWORD, roles, actor=audit.CLI, sites=sites
        )
    with engine.connect() as conn:
        assert audit.count(conn) == 0
