"""Templates are read strictly (file:line), and answers are checked against them by question id."""

from __future__ import annotations

from pathlib import Path

import pytest

from civic.surveys.answers import AnswerError, check_answers
from civic.surveys.template import QType, Template, load_template, load_templates
from telemetry.config.errors import ConfigError

GOOD = """\
version: 1
id: t
title: T
sections:
  - id: s
    title: S
    questions:
      - id: pick
        type: single
        required: true
        text: Pick
        options: [{id: a, label: A}, {id: b, label: B}]
      - id: why
        type: short_text
        text: Why
        required: true
        show_if: {question: pick, any_of: [b]}
"""


def _write(tmp_path: Path, body: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def policy() -> Template:
    return load_templates(Path("config/surveys"))["energy_policy"]


def test_the_repository_templates_load(policy: Template) -> None:
    assert {q.type for q in policy.questions()} == set(QType)


def test_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("        text: Pick", "        txt: Pick"))
    with pytest.raises(ConfigError) as refused:
        load_template(path)
    text = str(refused.value)
    assert f"{path}:11" in text and "txt" in text and "unknown key" in text


@pytest.mark.parametrize(
    ("change", "line", "said"),
    [
        (("any_of: [b]", "any_of: [c]"), 17, "are not answers of 'pick'"),
        (("question: pick", "question: later"), 17, "is not a question asked before"),
        (("      - id: why", "      - id: pick"), 13, "used twice"),
        (
            ("options: [{id: a, label: A}, {id: b, label: B}]", "options: [{id: a, label: A}]"),
            12,
            "at least two options",
        ),
    ],
)
def test_cross_checks_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, said: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as refused:
        load_template(path)
    assert f"{path}:{line}" in str(refused.value) and said in str(refused.value)


def test_template_id_must_match_its_file(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, name="other.yaml")
    with pytest.raises(ValueError, match="must match the file name"):
        load_templates(tmp_path)


def test_conditions_show_and_hide(tmp_path: Path) -> None:
    t = load_template(_write(tmp_path, GOOD))
    assert check_answers(t, {"pick": "a"}) == {"pick": "a"}
    assert check_answers(t, {"pick": "b", "why": "  because  "}) == {"pick": "b", "why": "because"}
    with pytest.raises(AnswerError) as hidden:
        check_answers(t, {"pick": "a", "why": "not asked"})
    assert hidden.value.errors == [("why", "not asked: its condition on 'pick' is not met")]
    with pytest.raises(AnswerError) as missing:
        check_answers(t, {"pick": "b", "why": "   "})
    assert missing.value.errors == [("why", "an answer is required")]


def test_every_wrong_answer_is_named(policy: Template) -> None:
    wrong = {
        "data_useful": 6,
        "data_used_for": ["compare", "save", "board", "none"],
        "policy_support": "maybe",
        "policy_ratings": {"solar": 5, "wind": 3},
        "monthly_bill": 5000,
        "suggestion": "x" * 201,
        "colour": "blue",
    }
    with pytest.raises(AnswerError) as refused:
        check_answers(policy, wrong)
    named = dict(refused.value.errors)
    assert set(named) == set(wrong)
    assert "at most 3 choices" in named["data_used_for"]
    assert "unknown rows ['wind']" in named["policy_ratings"]
    assert "at most 2000" in named["monthly_bill"]
    assert named["colour"] == "no such question in this round"


def test_types_are_not_coerced(policy: Template) -> None:
    with pytest.raises(AnswerError) as refused:
        check_answers(
            policy, {"data_useful": True, "policy_support": ["yes"], "monthly_bill": "50"}
        )
    assert {qid for qid, _ in refused.value.errors} == {
        "data_useful",
        "policy_support",
        "monthly_bill",
    }
