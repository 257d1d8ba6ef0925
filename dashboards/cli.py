"""The dashboards CLI: `build` (regenerate JSON and provisioning), `check`, `push`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dashboards.build import PACKAGE_DIR, build
from dashboards.datasources import PUBLIC, STAFF
from telemetry.config.cli import fail

COMPONENT = "dashboards"
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Grafana boards as code: facility live, operations, and citizens' boards "
    "(city and each district), with their data sources and folders.",
)


@app.command("build")
def build_cmd() -> None:
    """Regenerate dashboards/generated/*.json and dashboards/provisioning/ from the code."""
    for path in build():
        typer.echo(f"wrote {path.relative_to(PACKAGE_DIR.parent)}")


@app.command("check")
def check_cmd(
    influx_url: Annotated[str, typer.Option("--influx-url", help="InfluxDB base URL")],
    influx_token: Annotated[
        str | None,
        typer.Option(
            "--influx-token", help="read token (1.x: user:password) (env ENERGY_INFLUX_TOKEN)"
        ),
    ] = None,
    staff_db: Annotated[str, typer.Option("--influx-bucket", help="raw bucket")] = "energy",
    public_db: Annotated[
        str, typer.Option("--influx-public-bucket", help="public bucket")
    ] = "energy_public",
) -> None:
    """Run every panel's InfluxQL (variables filled with real values) and print what came back."""
    from dashboards.check import check_all
    from telemetry.influxql import InfluxQL

    token = influx_token or os.environ.get("ENERGY_INFLUX_TOKEN", "")
    ql = InfluxQL(influx_url, token)
    results = check_all(ql, {STAFF.uid: staff_db, PUBLIC.uid: public_db})
    failed = 0
    for r in results:
        status = "error" if r.error else ("ok" if r.ok else "empty" if r.rows == 0 else "columns?")
        failed += r.error is not None or not r.columns_ok
        typer.echo(f"{status:8} {r.rows:6} rows  {r.board} / {r.panel} [{r.ref_id}]")
        if r.error:
            typer.echo(f"         {r.error}")
    typer.echo(f"{len(results)} queries, {failed} failed")
    raise typer.Exit(1 if failed else 0)


@app.command("push")
def push_cmd(
    grafana_url: Annotated[
        str, typer.Option("--grafana-url", help="e.g. http://admin:PASSWORD@localhost:3000")
    ],
    influx_url: Annotated[
        str,
        typer.Option("--influx-url", help="InfluxDB URL as Grafana reaches it (env INFLUX_URL)"),
    ] = "",
    generated: Annotated[Path, typer.Option("--from", help="generated boards directory")] = (
        PACKAGE_DIR / "generated"
    ),
    only: Annotated[
        str,
        typer.Option(
            "--only",
            help="all | staff | citizens (citizens: when the staff side is provisioned from files)",
        ),
    ] = "all",
) -> None:
    """Create or update the citizens' organisation, folders, data sources and boards (idempotent).

    Credentials: the URL's user:password, or GRAFANA_TOKEN (staff organisation
    only). Data source tokens: INFLUX_GRAFANA_TOKEN and INFLUX_CITIZENS_TOKEN.
    """
    from dashboards.push import PushError, push

    try:
        if only not in ("all", "staff", "citizens"):
            raise PushError(f"--only {only!r}: expected all, staff or citizens")
        url = influx_url or os.environ.get("INFLUX_URL", "")
        for line in push(grafana_url, url, generated, only=only):
            typer.echo(line)
    except PushError as exc:
        fail(COMPONENT, f"push failed: {exc}", code=1)
