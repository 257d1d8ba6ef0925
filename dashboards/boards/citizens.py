"""Citizens' boards: the city and each district, from `energy_public` only.

No template variables: an externally shared (public) dashboard ignores them,
so every board is fixed to its scope and generated once per district. Every
query reads rollups at one group level (exact tag equality, GROUP_ALL for
"all"); only groups that pass the privacy rule exist in `energy_public`.
"""

from __future__ import annotations

from dashboards.datasources import PUBLIC
from dashboards.influxql import TIME, group_level, ident
from dashboards.labels import (
    BUILDING_TYPE_NAMES,
    UTILITY_NAMES,
    district_name,
    dong_mappings,
    geography,
    utility_mappings,
)
from dashboards.model import Dashboard, Panel, Target
from telemetry.fields import Utility
from telemetry.influx_schema import CONSUMPTION_1D, CONSUMPTION_1H, GROUP_ALL, LIVE_1M

CITY_UID = "citizens-city"
ENERGY_UTILITIES = (Utility.ELECTRICITY, Utility.HEAT, Utility.SOLAR)  # kW, kWh
VOLUME_UTILITIES = (Utility.GAS, Utility.WATER)  # m³/h, m³
LINES = {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 15, "spanNulls": True}
BAR_GAUGE = {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True}
STAT = {"colorMode": "value", "graphMode": "area", "textMode": "value_and_name"}


def uid_for(district: str | None) -> str:
    return CITY_UID if district is None else f"citizens-{district}"


def _scope(district: str | None) -> str:
    return GROUP_ALL if district is None else district


def _live(district: str | None, utilities: tuple[Utility, ...], latest: bool) -> list[Target]:
    select = 'last("rate")' if latest else 'mean("rate")'
    group = "" if latest else " GROUP BY time($__interval) fill(null)"
    return [
        Target(
            f"SELECT {select} FROM {ident(LIVE_1M)} "
            f"WHERE {group_level(utility=u.value, district=_scope(district))} AND {TIME}{group}",
            alias=UTILITY_NAMES[u],
        )
        for u in utilities
    ]


def _total(measurement: str, field: str, level: str, alias: str) -> Target:
    return Target(
        f"SELECT sum({ident(field)}) FROM {ident(measurement)} WHERE {level} AND {TIME}",
        alias=alias,
    )


def _now_rows(district: str | None) -> list[Panel | str]:
    return [
        "지금 (Right now)",
        Panel(
            "지금 전기·열 (Electricity and heat now, kW)",
            "stat",
            _live(district, ENERGY_UTILITIES, latest=True),
            width=12,
            height=5,
            unit="kwatt",
            decimals=0,
            time_from="15m",
            options=STAT,
            interval="1m",
        ),
        Panel(
            "지금 가스·수도 (Gas and water now, m³/h)",
            "stat",
            _live(district, VOLUME_UTILITIES, latest=True),
            width=12,
            height=5,
            unit="flowcmh",
            decimals=1,
            time_from="15m",
            options=STAT,
            interval="1m",
        ),
        Panel(
            "전기·열 추이 (Electricity and heat, kW)",
            "timeseries",
            _live(district, ENERGY_UTILITIES, latest=False),
            unit="kwatt",
            custom=LINES,
            interval="1m",
        ),
        Panel(
            "가스·수도 추이 (Gas and water, m³/h)",
            "timeseries",
            _live(district, VOLUME_UTILITIES, latest=False),
            unit="flowcmh",
            custom=LINES,
            interval="1m",
        ),
    ]


def _by_utility(district: str | None) -> list[Panel]:
    scope = _scope(district)

    def targets(utilities: tuple[Utility, ...]) -> list[Target]:
        return [
            _total(
                CONSUMPTION_1H,
                "consumption",
                group_level(utility=u.value, district=scope),
                UTILITY_NAMES[u],
            )
            for u in utilities
        ]

    return [
        Panel(
            "오늘 에너지 사용 (Energy used today, kWh)",
            "bargauge",
            targets(ENERGY_UTILITIES),
            unit="kwatth",
            decimals=0,
            time_from="now/d",
            options=BAR_GAUGE,
            description="Solar is local generation, not use.",
        ),
        Panel(
            "오늘 가스·수도 사용 (Gas and water used today, m³)",
            "bargauge",
            targets(VOLUME_UTILITIES),
            unit="m3",
            decimals=1,
            time_from="now/d",
            options=BAR_GAUGE,
        ),
    ]


def _by_area(district: str | None) -> list[Panel]:
    electricity = Utility.ELECTRICITY.value
    panels: list[Panel] = []
    if district is None:
        by_district = [
            _total(
                CONSUMPTION_1H,
                "consumption",
                group_level(utility=electricity, district=code),
                district_name(code),
            )
            for code in geography().districts
        ]
        panels.append(
            Panel(
                "구별 전력 사용 (Electricity by district, today, kWh)",
                "bargauge",
                by_district,
                unit="kwatth",
                decimals=0,
                time_from="now/d",
                options=BAR_GAUGE,
            )
        )
    by_dong = Target(
        f'SELECT sum("consumption") AS "사용량 consumption" FROM {ident(CONSUMPTION_1H)} '
        f"WHERE {group_level(district=district, dong=None)} AND {TIME} "
        'GROUP BY "utility", "dong"',
        table=True,
    )
    mappings = dong_mappings(district)
    mappings[0]["options"].update(utility_mappings()[0]["options"])  # type: ignore[union-attr]
    panels.append(
        Panel(
            "행정동별 사용량 (Use by dong, today)",
            "table",
            [by_dong],
            width=12 if district is None else 24,
            time_from="now/d",
            mappings=mappings,
            description="kWh for electricity, heat and solar; m³ for gas and water. "
            "Dongs with too few households to stay anonymous are not shown.",
        )
    )
    by_type = [
        _total(
            CONSUMPTION_1H,
            "consumption",
            group_level(utility=electricity, district=_scope(district), building_type=bt.value),
            name,
        )
        for bt, name in BUILDING_TYPE_NAMES.items()
    ]
    panels.append(
        Panel(
            "건물 유형별 전력 사용 (Electricity by building type, today, kWh)",
            "bargauge",
            by_type,
            unit="kwatth",
            decimals=0,
            time_from="now/d",
            options=BAR_GAUGE,
        )
    )
    return panels


def _month(district: str | None) -> list[Panel | str]:
    level = group_level(utility=Utility.ELECTRICITY.value, district=_scope(district))
    this_month = _total(CONSUMPTION_1D, "consumption", level, "이번 달 (this month)")
    last_year = _total(CONSUMPTION_1D, "consumption", level, "작년 같은 달 (same month last year)")
    return [
        "이번 달과 작년 (This month and last year)",
        Panel(
            "이번 달 전력 사용 (Electricity this month, kWh)",
            "stat",
            [this_month],
            width=12,
            height=5,
            unit="kwatth",
            decimals=0,
            time_from="now/M",
            options=STAT,
        ),
        Panel(
            "작년 같은 달 (Same days last year, kWh)",
            "stat",
            [last_year],
            width=12,
            height=5,
            unit="kwatth",
            decimals=0,
            time_from="now/M",
            time_shift="1y",
            options=STAT,
            description="The same calendar days a year earlier, for comparison.",
        ),
    ]


def _co2e(district: str | None) -> list[Panel | str]:
    scope = _scope(district)
    emitted = Target(
        f'SELECT sum("co2e_kg") FROM {ident(CONSUMPTION_1D)} WHERE '
        f"{group_level(district=scope)} AND \"utility\" <> 'solar' AND {TIME}",
        alias="배출 (emitted)",
    )
    avoided = _total(
        CONSUMPTION_1D,
        "co2e_kg",
        group_level(utility="solar", district=scope),
        "태양광으로 줄임 (avoided by solar)",
    )
    per_utility = [
        _total(
            CONSUMPTION_1D,
            "co2e_kg",
            group_level(utility=u.value, district=scope),
            UTILITY_NAMES[u],
        )
        for u in Utility
        if u is not Utility.SOLAR
    ]
    return [
        "온실가스 (CO2e)",
        Panel(
            "이번 달 온실가스 (CO2e this month, kg)",
            "stat",
            [emitted, avoided],
            width=12,
            height=6,
            unit="masskg",
            decimals=0,
            time_from="now/M",
            options=STAT,
            description="Emission factors per utility: config/emission_factors.yaml.",
        ),
        Panel(
            "유틸리티별 온실가스 (CO2e by utility, this month, kg)",
            "bargauge",
            per_utility,
            width=12,
            height=6,
            unit="masskg",
            decimals=0,
            time_from="now/M",
            options=BAR_GAUGE,
        ),
    ]


def board(district: str | None = None) -> Dashboard:
    """The city's board (district None) or one district's."""
    if district is None:
        title = "광주 에너지 한눈에 (Gwangju energy at a glance)"
    else:
        title = f"{district_name(district)} 에너지 (Energy in {district_name(district)})"
    links = (
        []
        if district is None
        else [{"title": "광주 전체 (Whole city)", "type": "link", "url": f"/d/{CITY_UID}"}]
    )
    return Dashboard(
        uid=uid_for(district),
        title=title,
        description="Public aggregates only: groups large enough that no household can be picked out.",
        tags=["energy", "citizens"],
        panels=[
            *_now_rows(district),
            "사용량 (Consumption)",
            *_by_utility(district),
            *_by_area(district),
            *_month(district),
            *_co2e(district),
        ],
        datasource=PUBLIC.ref,
        time_from="now-24h",
        refresh="1m",
        links=links,
    )


def boards() -> list[Dashboard]:
    return [board(None), *(board(code) for code in geography().districts)]
