"""`python -m api codes` prints a sheet of working codes; `board-seed` fills an empty board once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from civic.board import posts
from civic.board.codes import ParticipationCodes
from civic.board.context import Board
from telemetry.db import make_engine

KEY = "cli-signing-key-0123456789"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_API_SIGNING_KEY", KEY)


def test_codes_sheet_has_one_working_code_per_household(db_url: str, tmp_path: Path) -> None:
    households = tmp_path / "households.txt"
    households.write_text("# block 101\n101동 1203호\n0101-1204\n\n", encoding="utf-8")
    runner = CliRunner()
    for unit in ("101-1203", "101 1204"):
        moved = runner.invoke(app, ["tenancy", "move-in", "pungam-lh-apt", unit, "--date",
                                    "2025-03-01", "--db-url", db_url])  # fmt: skip
        assert moved.exit_code == 0, moved.output
    done = runner.invoke(
        app, ["codes", "pungam-lh-apt", "--households", str(households), "--db-url", db_url]
    )
    assert done.exit_code == 0, done.output
    found = re.findall(r"Code: (\S+)", done.output)
    assert len(found) == 2 and "101-1204" in done.output and "풍암" in done.output
    engine = make_engine(db_url)
    try:
        resident = ParticipationCodes(engine, KEY.encode()).redeem(found[1])
        assert resident.site == "pungam-lh-apt" and resident.dong == "2914083000"
    finally:
        engine.dispose()


def test_codes_refuses_a_repeated_household_naming_the_line(tmp_path: Path) -> None:
    households = tmp_path / "households.txt"
    households.write_text("101-1\n101-2\n101-1\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    done = CliRunner().invoke(
        app, ["codes", "pungam-lh-apt", "--households", str(households), "--db-url", url]
    )
    assert done.exit_code != 0 and "households.txt:3" in done.output


def test_codes_refuses_unknown_units_and_units_nobody_lives_in_naming_lines(
    tmp_path: Path,
) -> None:
    households = tmp_path / "households.txt"
    households.write_text("101-1230\n101-1203\n101동 1203호\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    done = CliRunner().invoke(
        app, ["codes", "pungam-lh-apt", "--households", str(households), "--db-url", url]
    )
    assert done.exit_code == 2
    assert "households.txt:1: '101-1230': no such unit" in done.output
    assert "closest: 101-1203" in done.output
    assert "households.txt:2: '101-1203': unit 101-1203 has no current tenant" in done.output
    assert "households.txt:3: '101동 1203호': the same unit 101-1203" in done.output


def test_board_seed_writes_examples_once(db_url: str) -> None:
    first = CliRunner().invoke(app, ["board-seed", "--db-url", db_url])
    assert first.exit_code == 0 and "4 example posts" in first.output, first.output
    again = CliRunner().invoke(app, ["board-seed", "--db-url", db_url])
    assert again.exit_code == 0 and "none added" in again.output
    engine = make_engine(db_url)
    try:
        shown = posts.list_posts(Board(engine))
        assert len(shown) == 4
        led = next(p for p in shown if p.supports == 3)
        assert posts.get(Board(engine), led.id).answer is not None
    finally:
        engine.dispose()
