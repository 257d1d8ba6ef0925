"""`python -m api`: serve the API; `sign-household --unit SITE UNIT | --household ID`: a
household's link; `codes`, `tenancy`, `links`, `units`, `staff`: operators' commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from api import staff_cli, tenancy_cli, units_cli
from api.cli_common import COMPONENT, _migrate, _resolve
from api.settings import ApiSettings
from telemetry.config.cli import (
    ConfigOpt,
    HostOpt,
    InfluxBucketOpt,
    InfluxOrgOpt,
    InfluxPublicBucketOpt,
    InfluxTokenOpt,
    InfluxUrlOpt,
    PortOpt,
    fail,
    settings_or_fail,
)
from telemetry.db.cli import DbUrlOpt
from telemetry.logs import setup_logging
from telemetry.registry import ConfigError, load_registry

app = typer.Typer(
    help="The city-wide energy API (FastAPI under /v1; OpenAPI at /openapi.json, listed at /docs). "
    "Tokens come from the environment only: ENERGY_API_ADMIN_TOKEN, ENERGY_API_SITE_TOKENS "
    "(site=token,...), ENERGY_API_SIGNING_KEY (households' links), ENERGY_INFLUX_PUBLIC_TOKEN, "
    "ENERGY_INFLUX_EVENTS_TOKEN (acknowledgements to alert_events).",
    add_completion=False,
)
ApiConfigOpt = Annotated[
    str | None, typer.Option("--api-config", help="API settings file (default config/api.yaml)")
]


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: HostOpt = None,
    port: PortOpt = None,
    config: ConfigOpt = None,
    api_config: ApiConfigOpt = None,
    influx_url: InfluxUrlOpt = None,
    influx_token: InfluxTokenOpt = None,
    influx_org: InfluxOrgOpt = None,
    influx_bucket: InfluxBucketOpt = None,
    influx_public_bucket: InfluxPublicBucketOpt = None,
    db_url: DbUrlOpt = None,
) -> None:
    """Serve the API (the default command)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from api.app import create_app, parts_from_settings

    settings = settings_or_fail(
        COMPONENT,
        ApiSettings,
        api_host=host,
        api_port=port,
        config=config,
        api_config=api_config,
        influx_url=influx_url,
        influx_token=influx_token,
        influx_org=influx_org,
        influx_bucket=influx_bucket,
        influx_public_bucket=influx_public_bucket,
        db_url=db_url,
    )
    try:
        parts = parts_from_settings(settings)
    except (ConfigError, ValueError) as exc:
        fail(COMPONENT, str(exc))
    # Only a configuration that holds may create or change the database.
    _migrate(settings)
    # uvicorn's own loggers propagate to ours (log_config=None): JSON lines too.
    setup_logging(COMPONENT)
    uvicorn.run(
        create_app(parts),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        log_level="warning",
        access_log=False,
    )


@app.command("sign-household")
def sign_household_cmd(
    site: Annotated[
        str | None, typer.Argument(help="retired (version-1 site links): use --unit or --household")
    ] = None,
    unit: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--unit", help='SITE UNIT: the unit\'s current household (e.g. "101동 1203호")'
        ),
    ] = None,
    household: Annotated[
        str | None,
        typer.Option("--household", help="a programme household of the registry, not at a unit"),
    ] = None,
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
    base_url: Annotated[
        str, typer.Option(help="public base URL of the API")
    ] = "https://energy.gwangju.go.kr",
) -> None:
    """Print a household's link (needs ENERGY_API_SIGNING_KEYS or ENERGY_API_SIGNING_KEY).

    `--unit SITE UNIT` signs the unit's current tenancy (a household at a unit is always its
    tenancy); `--household ID` a programme household that lives at no unit (its own site, or
    standalone in a dong); a household of the registry at a unit is signed as its unit's
    tenancy. The link expires after `household_links.lifetime_days` (config/api.yaml), at the
    household's move-out, or when its links are revoked (`python -m api links revoke`)."""
    from api import links
    from telemetry.db import make_engine, tenancies

    if site is not None:
        fail(COMPONENT, "version-1 site links are retired: use --unit SITE UNIT or --household ID")
    settings = settings_or_fail(COMPONENT, ApiSettings, config=config, db_url=db_url)
    try:
        keys = tuple(settings.signing_keys())
        registry = load_registry(settings.config)
    except (ConfigError, ValueError) as exc:
        fail(COMPONENT, str(exc))
    if not keys:
        fail(COMPONENT, "ENERGY_API_SIGNING_KEYS (or ENERGY_API_SIGNING_KEY) is not set")
    if (unit is None) == (household is None):
        fail(COMPONENT, "give either --unit SITE UNIT or --household ID")
    if household is not None:
        found = registry.households.households.get(household)
        if found is None:
            fail(COMPONENT, f"{household!r} is no household of {settings.config}")
        if found.unit is not None:
            unit = (found.site or "", found.unit)
    engine = make_engine(_migrate(settings))
    with engine.connect() as conn:
        if unit is not None:
            at, unit_id = _resolve(registry, *unit)
            tenancy = tenancies.current(conn, at, unit_id)
            if tenancy is None:
                fail(COMPONENT, f"unit {unit_id} of {at} has no current tenant "
                     "(python -m api tenancy move-in)")  # fmt: skip
            subject, version = links.tenancy_subject(tenancy.id), tenancy.link_version
            what = f"unit {unit_id} of {at}, tenancy {tenancy.id} (moved in {tenancy.moved_in})"
        else:
            subject = links.household_subject(household or "")
            version = tenancies.household_link_version(conn, household or "")
            what = f"household {household}"
    lifetime = settings.load_api_config().household_links.lifetime_days
    today = dt.datetime.now(links.KST).date()
    token = links.sign(keys, subject, today, lifetime, version)
    base = base_url.rstrip("/")
    typer.echo(f"for:   {what}")
    typer.echo(f"until: {today + dt.timedelta(days=lifetime)} (or a move-out, or a revocation)")
    typer.echo(f"token: {token}")
    typer.echo(f"page:  {base}/household?token={token}")
    typer.echo(f"link:  {base}/v1/household/months?token={token}")


def _board(settings: ApiSettings):  # type: ignore[no-untyped-def]
    from civic.board.context import Board
    from telemetry.db import make_engine

    try:
        key = settings.signing_key()
    except ValueError as exc:
        fail(COMPONENT, str(exc))
    if len(key) < 16:
        fail(COMPONENT, "ENERGY_API_SIGNING_KEYS (or ENERGY_API_SIGNING_KEY) is not set "
             "(at least 16 characters)")  # fmt: skip
    return Board(make_engine(_migrate(settings)), settings.load_api_config().board)


@app.command("codes")
def codes_cmd(
    site: Annotated[str, typer.Argument(help="the site whose households get codes")],
    households: Annotated[
        Path,
        typer.Option("--households", help='file: one unit a line, as written ("101동 1203호")'),
    ],
    batch: Annotated[str, typer.Option(help="a name for this printing")] = "",
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
    board_url: Annotated[
        str, typer.Option(help="where residents redeem")
    ] = "https://energy.gwangju.go.kr/board",
) -> None:
    """Issue one participation code per unit's current household and print the sheet (codes
    are shown once); each household's older codes are cancelled and its sessions end. Units
    are resolved however they are written; an unknown unit (with the closest), a unit listed
    twice, or one nobody lives in stops the sheet, every such line named."""
    from civic.board.codes import NotIssued, for_board
    from civic.board.sheet import read_households, sheet
    from civic.board.tenancy import UnitsRefused, households_for_codes

    settings = settings_or_fail(COMPONENT, ApiSettings, config=config, db_url=db_url)
    try:
        registry = load_registry(settings.config)
        labels, lines = read_households(households)
    except (ConfigError, ValueError, OSError) as exc:
        fail(COMPONENT, str(exc))
    if site not in registry.units:
        fail(COMPONENT, f"site {site!r} lists no units in {settings.config}")
    board = _board(settings)
    try:
        wanted = households_for_codes(board.engine, registry.units[site], labels)
    except UnitsRefused as exc:
        fail(COMPONENT, "\n".join(f"{households}:{lines[p.index]}: {p}" for p in exc.problems))
    codes = for_board(board, settings.signing_key().encode())
    try:
        issued = codes.issue(site, registry.sites[site].dong, wanted, batch or str(households.name))
    except NotIssued as exc:  # a move-out between the look-up and the issue
        fail(COMPONENT, str(exc))
    _audit(board.engine, "codes.issue", "site", site, codes=len(issued), batch=batch or None)
    typer.echo(sheet(site, registry.sites[site].name_ko, issued, board_url), nl=False)


@app.command("codes-revoke")
def codes_revoke_cmd(
    site: Annotated[str, typer.Argument(help="the household's site")],
    unit: Annotated[str, typer.Argument(help='its unit, as written ("101동 1203호")')],
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
) -> None:
    """Cancel the codes of a unit's current household and end its sessions (a lost code)."""
    from civic.board.codes import for_board
    from telemetry.db import tenancies

    settings = settings_or_fail(COMPONENT, ApiSettings, config=config, db_url=db_url)
    try:
        registry = load_registry(settings.config)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    site, unit_id = _resolve(registry, site, unit)
    board = _board(settings)
    with board.engine.connect() as conn:
        tenancy = tenancies.current(conn, site, unit_id)
    if tenancy is None:
        fail(COMPONENT, f"unit {unit_id} of {site} has no current tenant")
    codes, ended = for_board(board, settings.signing_key().encode()).revoke(tenancy.id)
    _audit(board.engine, "codes.revoke", "tenancy", tenancy.id, site=site, unit=unit_id,
           codes_cancelled=codes, sessions_ended=ended)  # fmt: skip
    typer.echo(f"{codes} code(s) cancelled, {ended} session(s) ended for {site} {unit_id}")


def _audit(engine, action: str, kind: str, target: str, **detail: object) -> None:  # type: ignore[no-untyped-def]
    """A CLI change in the audit log: actor `cli`, the OS user in the detail."""
    from telemetry.db import audit

    with engine.begin() as conn:
        audit.record(conn, audit.CLI, action, kind, target, {**detail, **staff_cli.cli_detail()})


@app.command("board-seed")
def board_seed_cmd(db_url: DbUrlOpt = None) -> None:
    """Write a few example posts from the demo sites (only into a board without posts)."""
    from civic.board.seed import seed

    settings = settings_or_fail(COMPONENT, ApiSettings, db_url=db_url)
    written = seed(_board(settings), settings.signing_key().encode())
    typer.echo(f"{written} example posts written" if written else "the board has posts; none added")


app.add_typer(staff_cli.app, name="staff")
app.add_typer(units_cli.app, name="units")
app.add_typer(tenancy_cli.app, name="tenancy")
app.add_typer(tenancy_cli.links_app, name="links")
