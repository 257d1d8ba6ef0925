"""The rules file: the shipped one loads; every broken case names file, line, field and id."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.duration import parse_duration
from alerts.loader import load_rules
from alerts.messages import MESSAGES
from alerts.rules import (
    CounterEventRule,
    LeakRule,
    NoData,
    SolarDarkRule,
    SpikeRule,
    StaleRule,
    ThresholdRule,
)
from telemetry.registry import ConfigError, Registry, load_registry
from tests.support.golden import assert_same_issues, case_dirs, case_id, covered_ids, errors

CASES = Path(__file__).parent / "rule_cases"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry("config/sites/demo.yaml")


def test_shipped_rules_load(registry: Registry) -> None:
    rules = load_rules("config/alerts.yaml", registry)
    kinds = {type(r) for r in rules.rules}
    assert {StaleRule, ThresholdRule, LeakRule, SpikeRule, SolarDarkRule, CounterEventRule} <= kinds
    assert all(r.nodata in NoData for r in rules.rules)
    assert rules.policies and all(t in rules.targets for p in rules.policies for t in p.targets)


@pytest.mark.parametrize("case", case_dirs(CASES), ids=case_id)
def test_broken_rules_name_file_line_and_field(case: Path, registry: Registry) -> None:
    with pytest.raises(ConfigError) as caught:
        load_rules(case / "alerts.yaml", registry)
    assert_same_issues(caught.value, errors(case))
    for w in errors(case):
        field = f"{w['field']}: " if w["field"] else ""
        assert f"alerts.yaml:{w['line']}: {field}" in str(caught.value)


def test_every_message_has_a_golden_case() -> None:
    assert set(MESSAGES) - covered_ids(CASES) == set()


def test_hysteresis_fires_above_and_clears_only_below_clear(registry: Registry) -> None:
    rule = ThresholdRule(
        id="t", kind="threshold", severity="warning", utility="electricity",
        above=100, clear=90, nodata="ok",
    )  # fmt: skip
    assert rule.breaches(100.1) and not rule.breaches(100)
    assert not rule.clears(95) and rule.clears(90)
    low = ThresholdRule(
        id="l", kind="threshold", severity="minor", utility="gas", below=1, nodata="ok"
    )
    assert low.breaches(0.5) and low.clears(1.0) and not low.clears(0.9)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("2h", 7200), (30, 30)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5", "5 minutes", "-1s", True, "1w"])
def test_bad_durations_refused(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
