"""Sealed responses: one size per round, bound to their round, opened only with the key."""

from __future__ import annotations

import pytest

from civic.surveys.sealing import RoundKey, SealUnavailable, SurveyKeys, sealed_size
from civic.surveys.template import load_templates
from telemetry.paths import resolve_config_path

KEYS = RoundKey(b"unit-test-survey-seal-key-0123")
TEMPLATE = load_templates(resolve_config_path("config/surveys"))["energy_policy"]
SIZE = sealed_size(TEMPLATE)


def _payload(text: str) -> dict:
    return {"district": "29140", "building_type": "apartment", "answers": {"suggestion": text}}


def test_a_short_and_the_longest_answer_seal_to_one_size() -> None:
    longest = {q.id: "\x01" * 4000 for q in TEMPLATE.questions() if q.type.value == "long_text"}
    longest |= {q.id: "\x01" * 200 for q in TEMPLATE.questions() if q.type.value == "short_text"}
    big = {"district": "29140", "building_type": "x" * 32, "answers": longest}
    assert len(KEYS.seal(1, SIZE, _payload(""))) == len(KEYS.seal(1, SIZE, big))
    assert KEYS.open(1, KEYS.seal(1, SIZE, big)) == big


def test_a_sealed_response_opens_only_in_its_round_with_its_key() -> None:
    sealed = KEYS.seal(3, SIZE, _payload("우리 동 태양광"))
    assert KEYS.open(3, sealed)["answers"] == {"suggestion": "우리 동 태양광"}
    with pytest.raises(ValueError, match="does not open"):
        KEYS.open(4, sealed)  # moved to another round
    with pytest.raises(ValueError, match="does not open"):
        RoundKey(b"another-key-of-the-same-length").open(3, sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(ValueError, match="does not open"):
        KEYS.open(3, tampered)


def test_participation_keys_are_per_round_and_need_the_key() -> None:
    assert KEYS.participation(1, "a" * 64) != KEYS.participation(2, "a" * 64)
    assert KEYS.participation(1, "a" * 64) != RoundKey(b"x" * 32).participation(1, "a" * 64)
    with pytest.raises(SealUnavailable):
        RoundKey(b"").participation(1, "a" * 64)


def test_an_oversized_payload_is_refused_not_truncated() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        KEYS.seal(1, 64, _payload("x" * 100))


def test_a_round_key_is_found_by_its_id_or_named_when_gone() -> None:
    keys = SurveyKeys({"signing:k2": b"k" * 32, "legacy": b"l" * 32}, "signing:k2")
    sealed = keys.of("signing:k2", 7).seal(7, SIZE, _payload("x"))
    assert keys.of("signing:k2", 7).open(7, sealed)["answers"] == {"suggestion": "x"}
    for gone, fix in (
        ("signing:k1", "list 'k1' in ENERGY_API_SIGNING_KEYS again"),
        ("seal", "set ENERGY_SURVEY_SEAL_KEY again"),
    ):
        with pytest.raises(SealUnavailable, match=f"round 7 .*'{gone}'.*{fix}"):
            keys.of(gone, 7)
    one = SurveyKeys.one(b"s" * 32)
    assert one.current == "seal" and one.of("legacy", 1).secret == one.of("seal", 1).secret
