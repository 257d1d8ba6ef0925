"""Every panel's InfluxQL, variables filled with real values, against the real pipeline's data."""

from __future__ import annotations

import re

import pytest

from dashboards.check import QueryResult, check_all, load_boards
from dashboards.datasources import PUBLIC, STAFF
from telemetry.influx_schema import GROUP_ALL, SUPPRESSED, WITHHELD, rollup_from
from telemetry.registry import Registry
from tests.dashboards.conftest import Run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]  # the whole pipeline runs first

# A viewer of a live board picks "last 15 minutes"; the pipeline ran for less than that.
VIEW = "now-15m"


def _expects_no_data(query: str, registry: Registry) -> bool:
    """A query for a group (district x dong x building type, utility) without meters stays empty."""
    wanted = {
        tag: value
        for tag in ("district", "dong", "building_type", "utility")
        for value in re.findall(rf'"{tag}" = \'([^\']+)\'', query)
        if value != GROUP_ALL
    }
    if not wanted:
        return False
    return not any(
        all(_site_value(site, meter, tag) == value for tag, value in wanted.items())
        for site, _agent, meter in registry.meters()
    )


def _site_value(site: object, meter: object, tag: str) -> str:
    source = meter if tag == "utility" else site
    return str(getattr(source, tag))


@pytest.fixture(scope="module")
def results(pipeline_run: Run) -> list[QueryResult]:
    databases = {STAFF.uid: pipeline_run.raw, PUBLIC.uid: pipeline_run.public}
    return check_all(pipeline_run.ql, databases, range_from=VIEW)


def test_every_target_of_every_board_was_run(results: list[QueryResult]) -> None:
    boards = load_boards()
    targets = sum(len(p["targets"]) for b in boards for p in b["panels"] if p["type"] != "row")
    annotations = sum(len(b["annotations"]["list"]) for b in boards)
    assert len(results) == targets + annotations and targets > 0 and annotations == 2


def test_alert_panels_show_the_alerts_pass(results: list[QueryResult]) -> None:
    """The real `alerts` pass fired power-on for the electricity meters: the tables list them
    and the annotations mark them (on the facility board, for the chosen site only)."""
    alert_results = [r for r in results if "alert_events" in r.query]
    assert {(r.board, r.panel.startswith("annotation")) for r in alert_results} == {
        ("facility-live", False), ("facility-live", True),
        ("operations", False), ("operations", True),
    }  # fmt: skip
    for r in alert_results:
        rows = [dict(zip(s.columns, row, strict=True)) for s in r.series for row in s.values]
        assert rows and {row["rule"] for row in rows} == {"power-on"}
        assert {row["event"] for row in rows} == {"firing"}
        assert all(row["originator"].startswith("meter:") for row in rows)
    tables = {r.board: r for r in alert_results if not r.panel.startswith("annotation")}
    ops, facility = tables["operations"], tables["facility-live"]
    sites = {row[ops.series[0].columns.index("site")] for s in ops.series for row in s.values}
    assert len(sites) > 1 and facility.rows < ops.rows  # the facility board: one site


def test_no_query_errors(results: list[QueryResult]) -> None:
    errors = [(r.board, r.panel, r.error) for r in results if r.error]
    assert errors == []


def test_every_query_answers_the_expected_columns(results: list[QueryResult]) -> None:
    wrong = [
        (r.board, r.panel, r.ref_id, r.expected, [s.columns for s in r.series])
        for r in results
        if not r.columns_ok
    ]
    assert wrong == []


GROUP_TAGS = ("utility", "district", "dong", "building_type")


def _withheld_groups(run: Run) -> set[tuple[str, ...]]:
    """Groups the disclosure rules withheld (a public marker, or held back as too small)."""
    by = ", ".join(f'"{t}"' for t in GROUP_TAGS)
    rows = run.ql.rows(f'SELECT * FROM "{WITHHELD}" GROUP BY {by}', run.public)
    rows += run.ql.rows(f"SELECT * FROM {rollup_from(SUPPRESSED)} GROUP BY {by}", run.raw)
    return {tuple(r.get(t, "") for t in GROUP_TAGS) for r in rows}


def _is_withheld(query: str, groups: set[tuple[str, ...]], registry: Registry) -> bool:
    """The disclosure rules withheld every group the query reads that has meters. A tag
    the query names one value of stands for that group; one it leaves open (a query by
    dong, `"dong" <> 'all'`; a query over utilities, `"utility" <> 'solar'`) stands
    for each of its values: a district's dongs, each one site and so each dominated by
    it, are all withheld, and such a query rightly answers nothing."""
    named = {tag: re.findall(rf'"{tag}" = \'([^\']+)\'', query) for tag in GROUP_TAGS}
    if any(len(values) > 1 for values in named.values()):
        return False
    excluded = set(re.findall(r'"utility" <> \'([^\']+)\'', query))
    read = set()
    for site, _agent, meter in registry.meters():
        key = []
        for tag in GROUP_TAGS:
            value = _site_value(site, meter, tag)
            want = named[tag][0] if named[tag] else value
            if want not in (GROUP_ALL, value):
                break
            key.append(want)
        else:
            if key[0] not in excluded:
                read.add(tuple(key))
    return bool(read) and read <= groups


def test_every_query_returns_data_where_the_registry_has_sites(
    results: list[QueryResult], pipeline_run: Run
) -> None:
    withheld = _withheld_groups(pipeline_run)
    empty = [
        (r.board, r.panel, r.ref_id, r.query)
        for r in results
        if r.rows == 0
        and not _expects_no_data(r.query, pipeline_run.registry)
        and not _is_withheld(r.query, withheld, pipeline_run.registry)
    ]
    assert empty == []
    # The rules withheld some groups of the test city, but not all of its groups.
    answered = [r for r in results if r.rows and r.board.startswith("citizens-")]
    assert answered, "no citizens' query returned data"


def test_groups_without_sites_stay_empty(results: list[QueryResult], pipeline_run: Run) -> None:
    should_be_empty = [r for r in results if _expects_no_data(r.query, pipeline_run.registry)]
    assert should_be_empty, "the boards no longer list districts or building types without sites"
    leaked = [(r.board, r.panel, r.ref_id) for r in should_be_empty if r.rows]
    assert leaked == []


def test_citizens_queries_ran_on_the_public_database_only(
    results: list[QueryResult], pipeline_run: Run
) -> None:
    citizens = [r for r in results if r.board.startswith("citizens-")]
    assert citizens and {r.database for r in citizens} == {pipeline_run.public}


def test_operations_board_sees_the_injected_rejects(
    results: list[QueryResult], pipeline_run: Run
) -> None:
    totals = next(r for r in results if r.board == "operations" and "Totals by reason" in r.panel)
    counted = sum(row[1] for s in totals.series for row in s.values)
    assert counted == pipeline_run.rejected_sent


def test_facility_meter_variable_lists_real_meters(pipeline_run: Run) -> None:
    from datetime import UTC, datetime

    from dashboards.check import variable_values

    board = next(b for b in load_boards() if b["uid"] == "facility-live")
    values = variable_values(
        pipeline_run.ql, board, {STAFF.uid: pipeline_run.raw}, datetime.now(UTC)
    )
    site = values["site"].replace("\\", "")
    expected = (
        {m.id for m in pipeline_run.registry.meters_of_site(site)}
        if hasattr(pipeline_run.registry, "meters_of_site")
        else {m.id for s, _a, m in pipeline_run.registry.meters() if s.id == site}
    )
    assert set(values["meter"].strip("()").replace("\\", "").split("|")) == expected


def test_check_cli_reports_every_query(pipeline_run: Run) -> None:
    from tests.support.processes import run_module

    done = run_module(
        "dashboards", "check", "--influx-url", pipeline_run.ql.url,
        "--influx-bucket", pipeline_run.raw, "--influx-public-bucket", pipeline_run.public,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    boards = load_boards()
    targets = sum(len(p["targets"]) for b in boards for p in b["panels"] if p["type"] != "row")
    annotations = sum(len(b["annotations"]["list"]) for b in boards)
    assert f"{targets + annotations} queries, 0 failed" in done.stdout
