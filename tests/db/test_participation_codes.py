"""Participation codes on both engines: one redemption per code, one account per household."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, Table, func, select, text

from civic.board.codes import (
    ALPHABET,
    CodeRefused,
    ParticipationCodes,
    Refusal,
    household_key,
    normalise,
)
from telemetry.db.tables import participation_codes, residents
from tests.support.tenancy import lived

SECRET = b"test-signing-key-0123456789"


@pytest.fixture
def codes(engine: Engine) -> ParticipationCodes:
    return ParticipationCodes(engine, SECRET)


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_issue_stores_no_code_and_no_household_label(codes: ParticipationCodes) -> None:
    issued = codes.issue(
        "apt-a",
        "2914074000",
        lived(codes.engine, "apt-a", ["101-1203", "101-1204"]),
        batch="2026-11",
    )
    assert len({c.code for c in issued}) == 2
    with codes.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM participation_codes")).all())
    for c in issued:
        assert c.code not in dump and normalise(c.code) not in dump
        assert c.household not in dump
    assert all(len(normalise(c.code)) == 12 for c in issued)


def test_redeem_once(codes: ParticipationCodes) -> None:
    [issued] = codes.issue(
        "apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1203"]), batch="b1"
    )
    resident = codes.redeem(issued.code)
    assert (resident.site, resident.dong, resident.blocked) == ("apt-a", "2914074000", False)
    with pytest.raises(CodeRefused) as refused:
        codes.redeem(issued.code)
    assert refused.value.reason is Refusal.USED
    assert codes.resident(resident.id) == resident


def test_typed_code_forms_are_one_code(codes: ParticipationCodes) -> None:
    [issued] = codes.issue("apt-a", "2914074000", lived(codes.engine, "apt-a", ["1"]), batch="b1")
    typed = issued.code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert codes.redeem(typed).site == "apt-a"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("ABCD-EFGH", Refusal.MALFORMED),
        ("ABCD-EFGH-JKM!", Refusal.MALFORMED),
        ("ABCD-EFGH-JKMU", Refusal.MALFORMED),  # U is not in the alphabet
        ("ABCD-EFGH-JKMN", Refusal.UNKNOWN),
    ],
)
def test_refusals(codes: ParticipationCodes, typed: str, reason: Refusal) -> None:
    codes.issue("apt-a", "2914074000", lived(codes.engine, "apt-a", ["1"]), batch="b1")
    with pytest.raises(CodeRefused) as refused:
        codes.redeem(typed)
    assert refused.value.reason is reason


def test_a_second_code_for_a_household_returns_its_account(codes: ParticipationCodes) -> None:
    first = codes.issue(
        "apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1203"]), batch="b1"
    )[0]
    a = codes.redeem(first.code)
    again = codes.issue(
        "apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1203"]), batch="b2-lost"
    )[0]
    other = codes.issue(
        "apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1204"]), batch="b1"
    )[0]
    b, c = codes.redeem(again.code), codes.redeem(other.code)
    assert a.id == b.id != c.id
    assert _count(codes.engine, residents) == 2


def test_a_new_code_cancels_the_households_older_ones(codes: ParticipationCodes) -> None:
    lost = codes.issue(
        "apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1203"]), batch="b1"
    )[0]
    codes.issue("apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1203"]), batch="b2-lost")
    with pytest.raises(CodeRefused) as refused:
        codes.redeem(lost.code)
    assert refused.value.reason is Refusal.CANCELLED
    with codes.engine.connect() as conn:
        reasons = conn.execute(
            select(participation_codes.c.cancelled_reason).order_by(participation_codes.c.id)
        ).scalars()
        assert list(reasons) == ["reissued", None]


def test_same_household_label_at_two_sites_is_two_households(codes: ParticipationCodes) -> None:
    x = codes.issue("apt-a", "2914074000", lived(codes.engine, "apt-a", ["101"]), batch="b")[0]
    y = codes.issue("apt-b", "2917064000", lived(codes.engine, "apt-b", ["101"]), batch="b")[0]
    assert codes.redeem(x.code).id != codes.redeem(y.code).id
    assert household_key(SECRET, "apt-a", "101") != household_key(SECRET, "apt-b", "101")


def test_concurrent_redemptions_of_one_code_admit_exactly_one(
    codes: ParticipationCodes,
) -> None:
    [issued] = codes.issue(
        "apt-a", "2914074000", lived(codes.engine, "apt-a", ["101-1203"]), batch="b1"
    )
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt() -> None:
        start.wait()
        try:
            codes.redeem(issued.code)
            outcomes.append("ok")
        except CodeRefused as exc:
            outcomes.append(exc.reason.value)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["used"] * 5
    assert _count(codes.engine, residents) == 1


def test_redemption_time_and_account_are_recorded(engine: Engine) -> None:
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    codes = ParticipationCodes(engine, SECRET, clock=lambda: at)
    [issued] = codes.issue("apt-a", "2914074000", lived(codes.engine, "apt-a", ["1"]), batch="b1")
    resident = codes.redeem(issued.code)
    with engine.connect() as conn:
        row = conn.execute(select(participation_codes)).one()
    assert row.redeemed_at == at and row.issued_at == at
    assert row.resident_id == resident.id


def test_alphabet_has_no_ambiguous_letters() -> None:
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)


def test_short_signing_key_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ParticipationCodes(engine, b"short")
