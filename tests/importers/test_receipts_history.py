"""Where receipts are kept: the platform database with a URL (both engines), else the state
dir's receipts.jsonl; `python -m importers receipts` reads the same place. No broker: the
entries are what an import records once its last batch is answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from importers import cli
from importers.history import FILE_NAME, LoggedReceipt, ReceiptLog, ReceiptTable, history
from importers.receipts import ImportReceipt
from importers.settings import ImporterSettings
from telemetry.db import make_engine
from telemetry.db.migrate import head, upgrade
from telemetry.receipts import MeterReceipt
from tests.db.conftest import db_url  # noqa: F401 (fixture)

AT = datetime(2026, 9, 1, 9, tzinfo=UTC)


def _entry(n: int, refused: int = 0) -> LoggedReceipt:
    meter = MeterReceipt(stored=4, refused={"beyond_retention": refused} if refused else {})
    receipt = ImportReceipt(import_id=f"imp{n}", file=f"bills{n}.csv", meters={f"hh-{n}": meter})
    return LoggedReceipt(
        at=AT + timedelta(minutes=n),
        agent="pungam-import",
        receipt=receipt,
        site="pungam-lh-apt",
        format="bills",
        started=AT + timedelta(minutes=n, seconds=-2),
        exit_status=2 if refused else 0,
    )


def _receipts(*args: str) -> str:
    done = CliRunner().invoke(cli.app, ["receipts", *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_with_a_url_receipts_go_to_the_table_and_are_listed_from_it(
    db_url: str,  # noqa: F811 (fixture)
    tmp_path: Path,
) -> None:
    upgrade(db_url)
    kept = history(tmp_path, db_url)
    assert isinstance(kept, ReceiptTable)
    for n in range(3):
        kept.record(_entry(n, refused=n))
    assert not (tmp_path / FILE_NAME).exists()
    assert [e.receipt.import_id for e in kept.last(2)] == ["imp2", "imp1"]
    assert kept.last(1) == [_entry(2, refused=2)]  # read back as recorded
    out = _receipts("--db-url", db_url, "--state-dir", str(tmp_path), "--last", "2")
    assert "pungam-import bills bills2.csv (imp2) exit 2" in out
    assert "pungam-import bills bills1.csv (imp1) exit 2" in out and "imp0" not in out
    assert out.index("imp2") < out.index("imp1")
    assert "beyond_retention 2" in out


def test_an_old_database_is_named_before_anything_is_read(db_url: str) -> None:  # noqa: F811
    upgrade(db_url, "0009")
    done = CliRunner().invoke(cli.app, ["receipts", "--db-url", db_url])
    assert done.exit_code == 1
    assert f"at revision 0009, not {head()}: run python -m telemetry.db upgrade" in done.output


def test_without_a_url_the_state_dirs_file_keeps_them_and_old_lines_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENERGY_DB_URL", raising=False)  # the session's (tests/conftest.py)
    kept = history(tmp_path, None)
    assert isinstance(kept, ReceiptLog)
    # A line written before site, format, started and exit status were kept.
    old = {"at": AT.isoformat(), "agent": "a", "receipt": {"import_id": "old", "file": "x.xml"}}
    (tmp_path / FILE_NAME).write_text(json.dumps(old) + "\n{damaged\n", encoding="utf-8")
    kept.record(_entry(1))
    newest, oldest = kept.last(5)
    assert newest == _entry(1)
    assert (oldest.receipt.import_id, oldest.format, oldest.started) == ("old", "", None)
    out = _receipts("--state-dir", str(tmp_path))
    assert "pungam-import bills bills1.csv (imp1) exit 0" in out
    assert f"{AT.isoformat()} a x.xml (old)" in out


def test_a_database_failing_after_the_publish_keeps_the_receipt_in_the_file(
    db_url: str,  # noqa: F811 (fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE import_receipts"))
    engine.dispose()
    settings = ImporterSettings(state_dir=tmp_path, db_url=db_url)
    cli._keep(settings, _entry(3))
    assert ReceiptLog(tmp_path).last(5) == [_entry(3)]
    assert "receipt not stored" in capsys.readouterr().err
