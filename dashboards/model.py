"""Builders for Grafana dashboard JSON: panels with raw InfluxQL targets, variables.

Only what the boards use. Every target is raw InfluxQL (`rawQuery: true`), never
Flux (DESIGN.md "InfluxDB"), so the same text runs on InfluxDB 1.x, 2.x and 3.x.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telemetry.rounding import UNIT_DECIMALS

SCHEMA_VERSION = 39
TIMEZONE = "Asia/Seoul"
GRID_WIDTH = 24
# Grafana unit ids -> ours: a panel without its own `decimals` shows a figure
# with the decimals the API and open data give it (telemetry/rounding.py).
GRAFANA_UNITS = {
    "kwatt": "kW",
    "kwatth": "kWh",
    "m3": "m3",
    "flowcmh": "m3/h",
    "masskg": "kg",
    "percentunit": "ratio",
    "percent": "%",
}


@dataclass(frozen=True)
class Target:
    """One InfluxQL query of a panel; `alias` names its series (Grafana alias patterns)."""

    query: str
    alias: str = ""
    table: bool = False

    def to_json(self, ref_id: str, datasource: dict[str, str]) -> dict[str, Any]:
        target: dict[str, Any] = {
            "refId": ref_id,
            "datasource": datasource,
            "rawQuery": True,
            "query": self.query,
            "resultFormat": "table" if self.table else "time_series",
        }
        if self.alias:
            target["alias"] = self.alias
        return target


@dataclass
class Panel:
    """A panel: title, type, size, targets and display options."""

    title: str
    kind: str  # timeseries, stat, bargauge, table, barchart
    targets: list[Target]
    width: int = 12
    height: int = 8
    unit: str = ""
    decimals: int | None = None
    description: str = ""
    time_from: str | None = None  # panel's own range, e.g. "now/d" (today so far)
    time_shift: str | None = None  # e.g. "1y": the same range a year earlier
    interval: str | None = None  # the smallest $__interval, e.g. "1m" for minute rollups
    options: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    thresholds: dict[str, Any] | None = None
    overrides: list[dict[str, Any]] = field(default_factory=list)
    transformations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Variable:
    """A query variable filled from InfluxDB (SHOW TAG VALUES ...)."""

    name: str
    label: str
    query: str
    multi: bool = False
    include_all: bool = False

    def to_json(self, datasource: dict[str, str]) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": "query",
            "datasource": datasource,
            "query": self.query,
            "definition": self.query,
            "refresh": 2,  # on time range change: new meters appear without a reload
            "multi": self.multi,
            "includeAll": self.include_all,
            # Regex-friendly "all" keeps the query short with many meters.
            **({"allValue": ".*"} if self.include_all else {}),
            "sort": 1,
            "current": {},
            "options": [],
            "hide": 0,
        }


@dataclass(frozen=True)
class Annotation:
    """Events drawn on every time-series panel of a board, from an InfluxQL query.

    `text`, `tags` and `title` name the query's columns (Grafana's InfluxDB
    annotation fields)."""

    name: str
    query: str
    text: str
    tags: tuple[str, ...] = ()
    title: str = ""
    color: str = "red"

    def to_json(self, datasource: dict[str, str]) -> dict[str, Any]:
        return {
            "name": self.name,
            "datasource": datasource,
            "enable": True,
            "hide": False,
            "iconColor": self.color,
            "query": self.query,
            "textColumn": self.text,
            "tagsColumn": ",".join(self.tags),
            "titleColumn": self.title,
        }


@dataclass
class Dashboard:
    uid: str
    title: str
    tags: list[str]
    panels: list[Panel | str]  # a str is a row title
    datasource: dict[str, str]
    variables: list[Variable] = field(default_factory=list)
    description: str = ""
    time_from: str = "now-6h"
    refresh: str = "30s"
    links: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": self.tags,
            "timezone": TIMEZONE,
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "editable": False,
            "graphTooltip": 1,
            "refresh": self.refresh,
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "links": self.links,
            "annotations": {"list": [a.to_json(self.datasource) for a in self.annotations]},
            "templating": {"list": [v.to_json(self.datasource) for v in self.variables]},
            "panels": _layout(self.panels, self.datasource),
        }


def _layout(items: list[Panel | str], datasource: dict[str, str]) -> list[dict[str, Any]]:
    """Place panels left to right, wrapping at 24 columns; rows start a new line."""
    out: list[dict[str, Any]] = []
    x = y = row_height = 0
    for panel_id, item in enumerate(items, start=1):
        if isinstance(item, str):
            y += row_height
            x, row_height = 0, 0
            out.append(_row(panel_id, item, y))
            y += 1
            continue
        if x + item.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        out.append(
            _panel(panel_id, item, datasource, {"x": x, "y": y, "w": item.width, "h": item.height})
        )
        x += item.width
        row_height = max(row_height, item.height)
    return out


def _row(panel_id: int, title: str, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1},
    }


def _panel(
    panel_id: int, panel: Panel, datasource: dict[str, str], grid: dict[str, int]
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"custom": panel.custom, "mappings": panel.mappings}
    if panel.unit:
        defaults["unit"] = panel.unit
    decimals = panel.decimals
    if decimals is None and panel.unit in GRAFANA_UNITS:
        decimals = UNIT_DECIMALS[GRAFANA_UNITS[panel.unit]]
    if decimals is not None:
        defaults["decimals"] = decimals
    if panel.thresholds is not None:
        defaults["thresholds"] = panel.thresholds
    out: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "gridPos": grid,
        "datasource": datasource,
        "targets": [t.to_json(chr(ord("A") + i), datasource) for i, t in enumerate(panel.targets)],
        "fieldConfig": {"defaults": defaults, "overrides": panel.overrides},
        "options": panel.options,
        "transformations": panel.transformations,
    }
    for key, value in (
        ("timeFrom", panel.time_from),
        ("timeShift", panel.time_shift),
        ("interval", panel.interval),
    ):
        if value is not None:
            out[key] = value
    return out
