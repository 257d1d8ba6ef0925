"""Accounts and codes from before tenancies: migration 0007 keeps them (up and down, both
engines), `tenancy adopt` moves them onto their units' tenancies from the old labels file and
lists what it cannot, `tenancy unadopted` lists what is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import app
from civic.board.codes import household_key
from telemetry.db import make_engine
from telemetry.db.migrate import downgrade, upgrade
from tests.tenancy.world import write_city

KEY = "old-single-signing-key-0123456789"
NOW = datetime(2026, 1, 5, tzinfo=UTC)
OLD_RESIDENTS = sa.table(
    "residents", sa.column("id", sa.Integer), sa.column("resident_key", sa.String),
    sa.column("site", sa.String), sa.column("dong", sa.String), sa.column("created_at", sa.DateTime),
)  # fmt: skip
OLD_CODES = sa.table(
    "participation_codes", sa.column("code_hash", sa.String), sa.column("site", sa.String),
    sa.column("household_key", sa.String), sa.column("dong", sa.String),
    sa.column("batch", sa.String), sa.column("issued_at", sa.DateTime),
    sa.column("expires_at", sa.DateTime), sa.column("resident_id", sa.Integer),
)  # fmt: skip


def _old_rows(url: str, labels: list[str]) -> None:
    engine = make_engine(url)
    naive = NOW.replace(tzinfo=None)
    with engine.begin() as conn:
        for n, label in enumerate(labels, start=1):
            key = household_key(KEY.encode(), "apt", label)
            conn.execute(sa.insert(OLD_RESIDENTS).values(
                id=n, resident_key=key, site="apt", dong="2914083000", created_at=naive))  # fmt: skip
            conn.execute(sa.insert(OLD_CODES).values(
                code_hash=f"{n:064d}", site="apt", household_key=key, dong="2914083000",
                batch="old", issued_at=naive, expires_at=naive + timedelta(days=90),
                resident_id=n))  # fmt: skip
    engine.dispose()


def _rows(url: str) -> list[tuple]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = conn.execute(
            sa.text(
                "SELECT r.id, r.site, c.site FROM residents r JOIN participation_codes c "
                "ON c.resident_id = r.id ORDER BY r.id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in out]


def test_0007_keeps_old_accounts_and_codes_up_and_down(db_url: str) -> None:
    upgrade(db_url, "0006")
    _old_rows(db_url, ["101-1203", "102-101"])
    before = _rows(db_url)
    upgrade(db_url)
    assert _rows(db_url) == before
    downgrade(db_url, "0006")
    assert _rows(db_url) == before
    upgrade(db_url)
    assert _rows(db_url) == before


def test_adopt_moves_old_labels_onto_tenancies_and_lists_the_rest(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(db_url, "0006")
    _old_rows(db_url, ["101-1203", "101동 1203호", "zzz"])
    upgrade(db_url)
    sites = write_city(tmp_path)
    labels = tmp_path / "labels.txt"
    labels.write_text("101-1203\n101동 1203호\nzzz\n102-101\n", encoding="utf-8")
    monkeypatch.setenv("ENERGY_API_SIGNING_KEY", KEY)
    runner = CliRunner()
    flags = ["--config", str(sites), "--db-url", db_url]
    done = runner.invoke(app, ["tenancy", "adopt", "apt", "--households", str(labels),
                               "--moved-in", "2024-03-01", *flags])  # fmt: skip
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert any(x.startswith("adopted\t101-1203\t101-1203\ttenancy 1\t1 account") for x in lines)
    assert any(x.startswith("second\t101동 1203호\t101-1203") for x in lines)
    assert any(x.startswith("no unit\tzzz") for x in lines)
    assert any(x.startswith("nothing\t102-101") for x in lines)
    left = runner.invoke(app, ["tenancy", "unadopted", *flags])
    # The second account of 101-1203 and the account and code of "zzz" are left.
    assert left.exit_code == 0 and "apt\t2\t1" in left.output, left.output
    listed = runner.invoke(app, ["tenancy", "list", "apt", *flags])
    assert "1\t101-1203\t2024-03-01\t" in listed.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        adopted = conn.execute(sa.text(
            "SELECT resident_key, tenancy_id FROM residents WHERE id = 1")).one()  # fmt: skip
        audit = conn.execute(sa.text(
            "SELECT actor, action FROM audit_log WHERE action = 'tenancy.adopt'")).all()  # fmt: skip
    engine.dispose()
    assert tuple(adopted) == ("tenancy:1", 1)
    assert [tuple(a) for a in audit] == [("cli", "tenancy.adopt")] * 2
