"""Facility live board: one site's meters, for facility managers (login required)."""

from __future__ import annotations

from dashboards.alert_panels import alert_annotation, alerts_table
from dashboards.datasources import STAFF
from dashboards.influxql import TIME, ident, measurements, tag_matches
from dashboards.model import Dashboard, Panel, Target, Variable
from telemetry import facility_queries as fq
from telemetry.influx_schema import TAG_METER, TAG_SITE

UID = "facility-live"

SITE = tag_matches(TAG_SITE, "site")
# The board's scope for the shared queries (telemetry/facility_queries.py): its variables.
SCOPE = fq.Scope(SITE, TIME, tag_matches(TAG_METER, "meter"))
SITE_METER = SCOPE.where()
BARS = {"drawStyle": "bars", "fillOpacity": 60, "lineWidth": 1}
LINES = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "spanNulls": 120000}


def _mean(field: str, measurement: str, alias: str = "$tag_meter") -> Target:
    return Target(fq.mean_by_meter(field, measurement, SCOPE, "$__interval"), alias=alias)


def _per_interval(counter: str, measurement: str, alias: str = "$tag_meter") -> Target:
    """Consumption per interval from a cumulative counter; a reset drops that one interval."""
    return Target(
        f"SELECT non_negative_difference(max({ident(counter)})) FROM {ident(measurement)} "
        f'WHERE {SITE_METER} GROUP BY time($__interval), "meter"',
        alias=alias,
    )


def _today(counter: str, measurement: str) -> Target:
    """Sum of the counter's steps between consecutive readings; a reset's step is dropped."""
    return Target(fq.used_by_counter(counter, measurement, SCOPE), alias="$tag_meter")


def _electricity() -> list[Panel | str]:
    return [
        "전기 (Electricity)",
        Panel(
            "전력 (Power, kW)",
            "timeseries",
            [_mean("power_kw", "electricity")],
            width=16,
            unit="kwatt",
            custom=LINES,
            interval="10s",
        ),
        Panel(
            "오늘 전력량 (Energy today, kWh)",
            "stat",
            [_today("energy_kwh", "electricity")],
            width=8,
            unit="kwatth",
            decimals=1,
            time_from="now/d",
            description="Since local midnight, from the meters' import counters.",
        ),
        Panel(
            "구간별 전력량 (Energy per interval, kWh)",
            "timeseries",
            [_per_interval("energy_kwh", "electricity")],
            width=16,
            unit="kwatth",
            custom=BARS,
            interval="10s",
        ),
        Panel(
            "태양광 발전 (Solar power, kW)",
            "timeseries",
            [_mean("power_kw", "solar")],
            width=8,
            unit="kwatt",
            custom=LINES,
            interval="10s",
        ),
    ]


def _gas_water() -> list[Panel | str]:
    return [
        "가스·수도 (Gas and water)",
        Panel(
            "유량 (Flow, m³/h)",
            "timeseries",
            [
                _mean("flow_m3h", "gas", "가스 gas $tag_meter"),
                _mean("flow_m3h", "water", "수도 water $tag_meter"),
            ],
            unit="flowcmh",
            custom=LINES,
            interval="10s",
        ),
        Panel(
            "구간별 사용량 (Volume per interval, m³)",
            "timeseries",
            [
                _per_interval("volume_m3", "gas", "가스 gas $tag_meter"),
                _per_interval("volume_m3", "water", "수도 water $tag_meter"),
            ],
            unit="m3",
            custom=BARS,
            interval="10s",
        ),
    ]


def _heat() -> list[Panel | str]:
    temperatures = Target(
        f'SELECT mean("supply_temp_c") AS "공급 supply", mean("return_temp_c") AS "환수 return" '
        f'FROM "heat" WHERE {SITE_METER} GROUP BY time($__interval), "meter" fill(null)',
        alias="$tag_meter $col",
    )
    return [
        "지역난방 (District heat)",
        Panel(
            "열량 (Heat power, kW)",
            "timeseries",
            [_mean("power_kw", "heat")],
            unit="kwatt",
            custom=LINES,
            interval="10s",
        ),
        Panel(
            "공급·환수 온도 (Supply and return, °C)",
            "timeseries",
            [temperatures],
            unit="celsius",
            custom=LINES,
            interval="10s",
        ),
    ]


def _hourly() -> list[Panel | str]:
    hourly = Target(fq.hourly_consumption(SCOPE), alias="$tag_utility $tag_meter")
    return [
        "시간별 사용량 (Hourly use)",
        Panel(
            "오늘 시간별 사용량 (Hourly consumption today, kWh or m³)",
            "timeseries",
            [hourly],
            width=24,
            custom=BARS,
            interval="1h",
            time_from="now/d",
            description="Today, from the hourly rollup: counter differences with resets and "
            "meter replacements handled. The current hour fills in as it goes.",
        ),
    ]


def _status() -> list[Panel | str]:
    last_reading = [
        Target(fq.last_counter(field, names, SCOPE), table=True)
        for field, names in (
            ("energy_kwh", ("electricity", "heat", "solar")),
            ("volume_m3", ("gas", "water")),
        )
    ]
    by_quality = [
        Target(
            f'SELECT count({ident(field)}) AS "readings" FROM {measurements(*names)} '
            f'WHERE {SITE_METER} GROUP BY "meter", "quality"',
            table=True,
        )
        for field, names in (
            ("energy_kwh", ("electricity", "heat", "solar")),
            ("volume_m3", ("gas", "water")),
        )
    ]
    agents = Target(fq.agent_status(SITE, TIME), table=True)
    return [
        "상태 (Status)",
        Panel(
            "계량기 최근 수신 (Last reading per meter)",
            "table",
            last_reading,
            width=8,
            description="Time and counter value of each meter's latest reading.",
        ),
        Panel(
            "품질별 수신 (Readings by quality)",
            "table",
            by_quality,
            width=8,
            description="good / uncertain / bad readings per meter in the time range.",
        ),
        Panel(
            "에이전트 상태 (Agent status)",
            "table",
            [agents],
            width=8,
            description="Latest status each edge agent of the site reported.",
        ),
    ]


def _alerts() -> list[Panel | str]:
    return ["경보 (Alerts)", alerts_table(SITE, with_site=False)]


def board() -> Dashboard:
    variables = [
        Variable("site", "사업장 (Site)", 'SHOW TAG VALUES FROM "electricity" WITH KEY = "site"'),
        Variable(
            "meter",
            "계량기 (Meter)",
            'SHOW TAG VALUES WITH KEY = "meter" WHERE "site" =~ /^$site$/',
            multi=True,
            include_all=True,
        ),
    ]
    return Dashboard(
        uid=UID,
        title="사업장 실시간 계량 (Facility live meters)",
        description="Live meter panels for facility managers: alerts, power, energy, flows, heat, "
        "status; alert state changes are marked on the live panels.",
        tags=["energy", "facility"],
        panels=[*_alerts(), *_electricity(), *_gas_water(), *_heat(), *_hourly(), *_status()],
        annotations=[alert_annotation(SITE)],
        datasource=STAFF.ref,
        variables=variables,
        time_from="now-3h",
        refresh="10s",
    )
