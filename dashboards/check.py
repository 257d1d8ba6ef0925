"""Run every panel's InfluxQL of the generated boards against a real InfluxDB.

`python -m dashboards check --influx-url URL` does this for an operator (after
a deployment, or against the demo); the tests do it after an end-to-end run.
Variables are filled with real values read by the boards' own variable queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboards.build import GENERATED_DIR
from dashboards.interpolate import (
    expected_columns,
    fill,
    interval,
    time_range,
    variable_text,
)
from telemetry.influxql import InfluxQL, InfluxQueryError, Series


@dataclass
class QueryResult:
    board: str
    panel: str
    ref_id: str
    database: str
    query: str  # filled in, as sent
    expected: list[str]
    series: list[Series] = field(default_factory=list)
    error: str | None = None

    @property
    def rows(self) -> int:
        return sum(len(s.values) for s in self.series)

    @property
    def columns_ok(self) -> bool:
        return all(s.columns == self.expected for s in self.series)

    @property
    def ok(self) -> bool:
        return self.error is None and self.rows > 0 and self.columns_ok


def load_boards(directory: Path = GENERATED_DIR) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*/*.json"))]


def variable_values(
    ql: InfluxQL, board: dict[str, Any], databases: dict[str, str], now: datetime
) -> dict[str, str]:
    """Each variable's value as Grafana would send it: every real value for a multi one."""
    filled: dict[str, str] = {}
    rng = time_range(board["time"]["from"], now)
    for var in board["templating"]["list"]:
        query = fill(var["query"], rng=rng, step="1m", variables=filled)
        rows = ql.rows(query, databases[var["datasource"]["uid"]])
        values = sorted({str(r["value"]) for r in rows})
        if not values:
            raise LookupError(f"{board['uid']}: variable {var['name']} has no values ({query})")
        filled[var["name"]] = variable_text(values if var["multi"] else values[:1], var["multi"])
    return filled


def check_board(
    ql: InfluxQL,
    board: dict[str, Any],
    databases: dict[str, str],
    now: datetime | None = None,
    range_from: str | None = None,
) -> list[QueryResult]:
    """Every target of every panel; range_from replaces the board's range (as a viewer may)."""
    now = now or datetime.now(UTC)
    variables = variable_values(ql, board, databases, now)
    results = []
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        board_from = range_from or board["time"]["from"]
        rng = time_range(board_from, now, panel.get("timeFrom"), panel.get("timeShift"))
        step = interval(rng, panel.get("interval"))
        for target in panel["targets"]:
            db = databases[target["datasource"]["uid"]]
            query = fill(target["query"], rng=rng, step=step, variables=variables)
            result = QueryResult(
                board["uid"],
                panel["title"],
                target["refId"],
                db,
                query,
                expected_columns(target["query"]),
            )
            try:
                result.series = ql.series(query, db)
            except InfluxQueryError as exc:
                result.error = str(exc)
            results.append(result)
    results += _check_annotations(ql, board, databases, variables, now, range_from)
    return results


def _check_annotations(
    ql: InfluxQL,
    board: dict[str, Any],
    databases: dict[str, str],
    variables: dict[str, str],
    now: datetime,
    range_from: str | None,
) -> list[QueryResult]:
    """Each annotation's query over the board's range, reported as panel "annotation: <name>"."""
    rng = time_range(range_from or board["time"]["from"], now)
    results = []
    for note in board.get("annotations", {}).get("list", []):
        db = databases[note["datasource"]["uid"]]
        query = fill(note["query"], rng=rng, step=interval(rng, None), variables=variables)
        result = QueryResult(
            board["uid"], f"annotation: {note['name']}", "-", db, query,
            expected_columns(note["query"]),
        )  # fmt: skip
        try:
            result.series = ql.series(query, db)
        except InfluxQueryError as exc:
            result.error = str(exc)
        results.append(result)
    return results


def check_all(
    ql: InfluxQL,
    databases: dict[str, str],
    now: datetime | None = None,
    boards: list[dict[str, Any]] | None = None,
    range_from: str | None = None,
) -> list[QueryResult]:
    boards = boards if boards is not None else load_boards()
    return [r for b in boards for r in check_board(ql, b, databases, now, range_from)]
