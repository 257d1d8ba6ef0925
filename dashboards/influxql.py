"""InfluxQL fragments the boards share, spelled with telemetry.influx_schema's names."""

from __future__ import annotations

from telemetry.influx_schema import (
    GROUP_ALL,
    TAG_BUILDING_TYPE,
    TAG_DISTRICT,
    TAG_DONG,
    TAG_UTILITY,
)
from telemetry.influxql import quote_ident as ident
from telemetry.influxql import tag_eq, tag_ne

TIME = "$timeFilter"

__all__ = ["TIME", "group_level", "ident", "measurements"]


def tag_matches(tag: str, variable: str) -> str:
    """A tag against a Grafana variable, as a regex so multi-value and "All" work."""
    return f"{ident(tag)} =~ /^${variable}$/"


def measurements(*names: str) -> str:
    return ", ".join(ident(n) for n in names)


def group_level(
    *,
    utility: str | None = None,
    district: str | None = GROUP_ALL,
    dong: str | None = GROUP_ALL,
    building_type: str | None = GROUP_ALL,
) -> str:
    """Pick one rollup level by exact tag equality (telemetry.influx_schema).

    A value of None means "every concrete value" (the tag is not `all`), which
    is how a board lists districts, dongs or building types side by side.
    """
    parts = [tag_eq(TAG_UTILITY, utility)] if utility else []
    for tag, value in (
        (TAG_DISTRICT, district),
        (TAG_DONG, dong),
        (TAG_BUILDING_TYPE, building_type),
    ):
        parts.append(tag_ne(tag, GROUP_ALL) if value is None else tag_eq(tag, value))
    return " AND ".join(parts)
