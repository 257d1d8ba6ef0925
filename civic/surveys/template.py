"""Survey templates: sections and questions, read strictly from config/surveys/*.yaml.

A template is read like every config file (telemetry.config.yaml_model): an
unknown key or a wrong value is an error with its file:line; cross-checks
(unique ids, conditions that point at an earlier choice question and one of
its options) are reported the same way. A round stores the template as it
was cloned (`Template.model_dump()`), so editing the YAML never changes a
round that residents already answered.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field

from telemetry.config.errors import ConfigError
from telemetry.config.messages import Message
from telemetry.config.strict import FrozenStrictModel
from telemetry.config.yaml_lines import LocatedYaml, Path_
from telemetry.config.yaml_model import (
    issues_at,
    read_mapping,
    validate_located,
    version_issues,
)

TEMPLATE_VERSION = 1
DEFAULT_TEMPLATES = Path("config/surveys")
Ident = str
ID_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
LIKERT = (1, 2, 3, 4, 5)
LIKERT_LABELS_KO = ("전혀 아니다", "아니다", "보통이다", "그렇다", "매우 그렇다")


class QType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    LIKERT = "likert"
    MATRIX = "matrix"
    NUMBER = "number"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"


CHOICE_TYPES = {QType.SINGLE, QType.MULTIPLE}
TEXT_TYPES = {QType.SHORT_TEXT, QType.LONG_TEXT}
TEXT_LIMITS = {QType.SHORT_TEXT: 200, QType.LONG_TEXT: 4000}


class Option(FrozenStrictModel):
    id: Ident = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=200)


class ShowIf(FrozenStrictModel):
    """Show this question only when the answer to `question` is one of `any_of`."""

    question: Ident = Field(pattern=ID_PATTERN)
    any_of: list[str | int] = Field(min_length=1)


class Question(FrozenStrictModel):
    id: Ident = Field(pattern=ID_PATTERN)
    type: QType
    text: str = Field(min_length=1, max_length=500)
    required: bool = False
    options: list[Option] = Field(default_factory=list)
    rows: list[Option] = Field(
        default_factory=list
    )  # matrix rows, each answered on the Likert scale
    max_choices: int | None = Field(default=None, ge=1)
    min: float | None = None
    max: float | None = None
    show_if: ShowIf | None = None


class Section(FrozenStrictModel):
    id: Ident = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    questions: list[Question] = Field(min_length=1)


class Template(FrozenStrictModel):
    id: Ident = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions() if q.id == qid), None)


def allowed_values(q: Question) -> set[str | int]:
    """What a condition on `q` may name: its option ids, or Likert points."""
    if q.type in CHOICE_TYPES:
        return {o.id for o in q.options}
    return set(LIKERT) if q.type is QType.LIKERT else set()


def _cross_checks(t: Template) -> list[tuple[Path_, Message]]:
    problems: list[tuple[Path_, Message]] = []
    seen: dict[str, Question] = {}
    for si, section in enumerate(t.sections):
        for qi, q in enumerate(section.questions):
            at: Path_ = ("sections", si, "questions", qi)
            problems += [((*at, key), _say(text)) for key, text in _shape_problems(q)]
            if q.id in seen:
                problems.append(((*at, "id"), _say(f"question id '{q.id}' is used twice")))
            if q.show_if is not None:
                problems += [((*at, "show_if"), _say(t)) for t in _condition_problems(q, seen)]
            seen[q.id] = q
    return problems


def _shape_problems(q: Question) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if q.type in CHOICE_TYPES and len(q.options) < 2:
        out.append(("options", f"a {q.type.value} question needs at least two options"))
    if q.type not in CHOICE_TYPES and q.options:
        out.append(("options", f"a {q.type.value} question has no options"))
    if len({o.id for o in q.options}) != len(q.options):
        out.append(("options", "option ids must be unique"))
    if (q.type is QType.MATRIX) != bool(q.rows):
        out.append(("rows", "rows belong to matrix questions, and a matrix needs them"))
    if q.max_choices is not None and q.type is not QType.MULTIPLE:
        out.append(("max_choices", "only a multiple-choice question takes max_choices"))
    if (q.min is not None or q.max is not None) and q.type is not QType.NUMBER:
        out.append(("min", "only a number question takes min and max"))
    if q.min is not None and q.max is not None and q.min > q.max:
        out.append(("min", f"min ({q.min}) is above max ({q.max})"))
    return out


def _condition_problems(q: Question, earlier: dict[str, Question]) -> list[str]:
    assert q.show_if is not None
    target = earlier.get(q.show_if.question)
    if target is None:
        return [f"'{q.show_if.question}' is not a question asked before '{q.id}'"]
    allowed = allowed_values(target)
    if not allowed:
        return [f"a condition needs a choice or Likert question; '{target.id}' is {target.type}"]
    wrong = [v for v in q.show_if.any_of if v not in allowed]
    return (
        [f"{wrong} are not answers of '{target.id}' ({sorted(map(str, allowed))})"] if wrong else []
    )


def _say(text: str) -> Message:
    return Message("survey_template", text)


def load_template(path: Path) -> Template:
    """One template file; ConfigError listing every `file:line: field: message`."""
    located = read_mapping(path)
    issues = version_issues(located, path, TEMPLATE_VERSION)
    if issues:
        raise ConfigError(issues)
    data: dict[str, Any] = {k: v for k, v in located.data.items() if k != "version"}
    template = validate_located(Template, LocatedYaml(data, located.lines), path)
    problems = _cross_checks(template)
    if problems:
        raise ConfigError(issues_at(path, located, problems))
    return template


def load_templates(folder: Path = DEFAULT_TEMPLATES) -> dict[str, Template]:
    """Every template of the folder by id; a file whose id differs from its name is refused."""
    templates: dict[str, Template] = {}
    for path in sorted(folder.glob("*.yaml")):
        template = load_template(path)
        if template.id != path.stem:
            raise ValueError(f"{path}: template id '{template.id}' must match the file name")
        templates[template.id] = template
    return templates
