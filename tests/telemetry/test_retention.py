"""Retention rules: the rollups outlive the raw data, and nothing reads raw data that expired."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from collector.rollup.settings import RollupSettings
from collector.settings import CollectorSettings
from telemetry import influx_schema as s
from telemetry.config.settings import Settings
from telemetry.retention import influxql_duration, reach_problem


def test_rollup_measurements_are_qualified_and_the_rest_not() -> None:
    assert s.rollup_from(s.METER_CONSUMPTION_1H) == '"rollups"."meter_consumption_1h"'
    assert s.rollup_from(s.COUNTER_EVENTS) == '"rollups"."counter_events"'
    assert s.rollup_from(s.LIVE_1M) == '"live_1m"'
    assert s.rollup_from(s.ALERT_EVENTS) == '"alert_events"'


@pytest.mark.parametrize(
    ("point", "kept"),
    [
        ("meter_consumption_1h,site=a,meter=m consumption=1 1", True),
        ("rollup_watermark,job=rollup until_ms=5i 1", True),
        ("consumption_1mo,utility=gas consumption=2 1", True),
        ("live_1m,utility=gas rate=1 1", False),
        ("suppressed holders=2i 1", True),
        ("electricity,site=a energy_kwh=1 1", False),
    ],
)
def test_points_are_routed_by_measurement(point: str, kept: bool) -> None:
    assert s.kept_as_rollup(point) is kept


def test_rollup_bucket_follows_the_raw_bucket_unless_set() -> None:
    assert Settings(influx_bucket="t_x").rollup_bucket() == "t_x/rollups"
    assert Settings(influx_rollup_bucket="long").rollup_bucket() == "long"


def test_rollups_may_not_expire_before_raw_readings() -> None:
    with pytest.raises(ValidationError, match="rollups must outlive the raw readings"):
        Settings(raw_retention_days=400, rollup_retention_days=365)
    with pytest.raises(ValidationError, match="raw retention \\(forever\\)"):
        Settings(raw_retention_days=0, rollup_retention_days=3650)
    assert Settings(raw_retention_days=30, rollup_retention_days=0).rollup_retention_days == 0


def test_a_raw_retention_shorter_than_the_catch_up_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ValidationError, match=r"max_catchup_s \+ bridge_s \(8 days\)"):
        RollupSettings(raw_retention_days=8)
    assert RollupSettings(raw_retention_days=9).raw_retention_days == 9
    assert RollupSettings(raw_retention_days=3, max_catchup_s=86_400).max_catchup_s == 86_400


def test_a_raw_retention_shorter_than_the_oldest_accepted_reading_is_refused() -> None:
    with pytest.raises(ValidationError, match="max_age_s"):
        CollectorSettings(raw_retention_days=90)
    assert CollectorSettings(raw_retention_days=10, max_age_s=7 * 86_400).max_age_s > 0


def test_forever_has_no_reach_limit_and_durations_read_as_influxql() -> None:
    assert reach_problem(0, {"x": 1e12}) is None
    assert influxql_duration(0) == "INF"
    assert influxql_duration(400) == "400d"
