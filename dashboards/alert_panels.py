"""Alerts on the staff boards: a table of state changes and annotations over `alert_events`.

`python -m alerts` writes one point per state change (firing, resolved,
acknowledged) with the rule, severity, site and originator as tags; the
platform database stays the record, these are its view on the boards.
"""

from __future__ import annotations

from dashboards.influxql import TIME, ident
from dashboards.model import Annotation, Panel, Target
from telemetry.influx_schema import (
    ALERT_EVENTS,
    TAG_EVENT,
    TAG_ORIGINATOR,
    TAG_RULE,
    TAG_SEVERITY,
    TAG_SITE,
)

SEVERITY_COLOURS = {"critical": "red", "major": "orange", "minor": "yellow", "warning": "blue"}
EVENT_COLOURS = {"firing": "red", "resolved": "green", "acknowledged": "blue"}


def _where(scope: str | None) -> str:
    return f"{scope} AND {TIME}" if scope else TIME


def alerts_table(scope: str | None, *, with_site: bool, time_from: str = "7d") -> Panel:
    """The latest state changes, newest first; `scope` is an InfluxQL condition (e.g. the site)."""
    tags = [TAG_EVENT, TAG_SEVERITY, TAG_RULE, *([TAG_SITE] if with_site else []), TAG_ORIGINATOR]
    columns = ", ".join(ident(c) for c in [*tags, "state", "value"])
    query = (
        f"SELECT {columns} FROM {ident(ALERT_EVENTS)} WHERE {_where(scope)} "
        "ORDER BY time DESC LIMIT 200"
    )
    return Panel(
        "경보 (Alerts: firing, resolved, acknowledged)",
        "table",
        [Target(query, table=True)],
        width=24,
        time_from=f"now-{time_from}",
        description="State changes of the alert rules (config/alerts.yaml) over the last "
        f"{time_from}; the current list and acknowledgement are in the API (/v1/alerts).",
        # Severity and event words never overlap, so one mapping colours both columns.
        mappings=[_colours(SEVERITY_COLOURS | EVENT_COLOURS)],
        custom={"cellOptions": {"type": "color-text"}},
        options={"sortBy": [{"displayName": "time", "desc": True}]},
    )


def alert_annotation(scope: str | None) -> Annotation:
    """Firing and resolution marks on every live panel of the board."""
    query = (
        f"SELECT {ident('state')}, {ident(TAG_RULE)}, {ident(TAG_SEVERITY)}, {ident(TAG_EVENT)}, "
        f"{ident(TAG_ORIGINATOR)} FROM {ident(ALERT_EVENTS)} WHERE {_where(scope)}"
    )
    return Annotation(
        "경보 (Alerts)", query, text=TAG_ORIGINATOR, tags=(TAG_EVENT, TAG_RULE, TAG_SEVERITY),
        title=TAG_RULE,
    )  # fmt: skip


def _colours(colours: dict[str, str]) -> dict[str, object]:
    options = {v: {"color": c, "index": i} for i, (v, c) in enumerate(colours.items())}
    return {"type": "value", "options": options}
