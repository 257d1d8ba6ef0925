"""Display names: Korean first, English where operators and visitors need it."""

from __future__ import annotations

from functools import cache

from telemetry.fields import Utility
from telemetry.registry import BuildingType, Geography, load_geography

UTILITY_NAMES: dict[Utility, str] = {
    Utility.ELECTRICITY: "전기 (electricity)",
    Utility.GAS: "가스 (gas)",
    Utility.WATER: "수도 (water)",
    Utility.HEAT: "지역난방 (district heat)",
    Utility.SOLAR: "태양광 (solar)",
}

BUILDING_TYPE_NAMES: dict[BuildingType, str] = {
    BuildingType.APARTMENT: "공동주택 (apartments)",
    BuildingType.DETACHED_HOUSE: "단독주택 (houses)",
    BuildingType.INDUSTRIAL: "산업 (industrial)",
    BuildingType.COMMERCIAL: "상업 (commercial)",
    BuildingType.PUBLIC: "공공 (public)",
    BuildingType.EDUCATION: "교육 (education)",
}


@cache
def geography() -> Geography:
    return load_geography()


def district_name(code: str) -> str:
    district = geography().districts[code]
    return f"{district.name_ko} ({district.name_en})"


def dong_mappings(district: str | None = None) -> list[dict[str, object]]:
    """Grafana value mappings from dong codes to names (one district or all)."""
    dongs = geography().dongs_of(district) if district else list(geography().dongs.values())
    return [_value_map({d.code: d.name_ko for d in dongs})]


def district_mappings() -> list[dict[str, object]]:
    return [_value_map({code: district_name(code) for code in geography().districts})]


def building_type_mappings() -> list[dict[str, object]]:
    return [_value_map({bt.value: name for bt, name in BUILDING_TYPE_NAMES.items()})]


def utility_mappings() -> list[dict[str, object]]:
    return [_value_map({u.value: name for u, name in UTILITY_NAMES.items()})]


def _value_map(names: dict[str, str]) -> dict[str, object]:
    return {
        "type": "value",
        "options": {
            code: {"text": name, "index": i} for i, (code, name) in enumerate(names.items())
        },
    }
