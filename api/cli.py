"""`python -m api`: serve the API; `python -m api sign-household SITE | --household ID`: a
household's link."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api import staff_cli, units_cli
from api.auth import sign_household, sign_household_id
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

COMPONENT = "api"
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
    _migrate(settings)
    try:
        parts = parts_from_settings(settings)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
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
        str | None, typer.Argument(help="a household site's id (a version-1 token)")
    ] = None,
    household: Annotated[
        str | None, typer.Option("--household", help="a household's id (a version-2 token)")
    ] = None,
    config: ConfigOpt = None,
    base_url: Annotated[
        str, typer.Option(help="public base URL of the API")
    ] = "https://energy.gwangju.go.kr",
) -> None:
    """Print the signed token and links of one household (needs ENERGY_API_SIGNING_KEY).

    `--household ID` signs the household itself (any household of the registry: at its own
    site, in an apartment complex or standalone in a dong); SITE signs its own site."""
    settings = settings_or_fail(COMPONENT, ApiSettings, config=config)
    key = settings.secret("api_signing_key")
    if not key:
        fail(COMPONENT, "ENERGY_API_SIGNING_KEY is not set")
    if (site is None) == (household is None):
        fail(COMPONENT, "give either a household site (SITE) or --household ID")
    try:
        registry = load_registry(settings.config)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    if household is not None:
        if household not in registry.households.households:
            fail(COMPONENT, f"{household!r} is no household of {settings.config}")
        token = sign_household_id(household, key)
    else:
        if site not in registry.sites or registry.sites[site].kind != "household":
            fail(
                COMPONENT,
                f"{site!r} is not a household site (kind: household) in {settings.config}",
            )
        token = sign_household(site, key)  # type: ignore[arg-type]
    base = base_url.rstrip("/")
    typer.echo(f"token: {token}")
    typer.echo(f"page:  {base}/household?token={token}")
    typer.echo(f"link:  {base}/v1/household/months?token={token}")


def _migrate(settings: ApiSettings) -> str:
    """Bring the platform database up to date, so the run command needs no extra step."""
    from telemetry.db import DEFAULT_DB_URL, migrate

    url = settings.db_url or DEFAULT_DB_URL
    try:
        migrate.upgrade(url)
    except Exception:
        # Another process sharing the file may have migrated it first: fine if it is current.
        if migrate.current(url) != migrate.head():
            raise
    return url


def _board(settings: ApiSettings):  # type: ignore[no-untyped-def]
    from civic.board.context import Board
    from telemetry.db import make_engine

    if len(settings.secret("api_signing_key")) < 16:
        fail(COMPONENT, "ENERGY_API_SIGNING_KEY is not set (at least 16 characters)")
    return Board(make_engine(_migrate(settings)), settings.load_api_config().board)


@app.command("codes")
def codes_cmd(
    site: Annotated[str, typer.Argument(help="the site whose households get codes")],
    households: Annotated[
        Path, typer.Option("--households", help="file: one household label per line")
    ],
    batch: Annotated[str, typer.Option(help="a name for this printing")] = "",
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
    board_url: Annotated[
        str, typer.Option(help="where residents redeem")
    ] = "https://energy.gwangju.go.kr/board",
) -> None:
    """Issue one participation code per household and print the sheet (codes are shown once);
    each household's older codes are cancelled and its sessions end."""
    from civic.board.codes import for_board
    from civic.board.sheet import read_households, sheet

    settings = settings_or_fail(COMPONENT, ApiSettings, config=config, db_url=db_url)
    try:
        registry = load_registry(settings.config)
        labels = read_households(households)
    except (ConfigError, ValueError, OSError) as exc:
        fail(COMPONENT, str(exc))
    if site not in registry.sites:
        fail(COMPONENT, f"no site {site!r} in {settings.config}")
    board = _board(settings)
    codes = for_board(board, settings.secret("api_signing_key").encode())
    issued = codes.issue(site, registry.sites[site].dong, labels, batch or str(households.name))
    _audit(board.engine, "codes.issue", "site", site, codes=len(issued), batch=batch or None)
    typer.echo(sheet(site, registry.sites[site].name_ko, issued, board_url), nl=False)


@app.command("codes-revoke")
def codes_revoke_cmd(
    site: Annotated[str, typer.Argument(help="the household's site")],
    household: Annotated[str, typer.Argument(help="the household's label, as on its sheet")],
    db_url: DbUrlOpt = None,
) -> None:
    """Cancel a household's participation codes and end its residents' sessions (a lost code)."""
    from civic.board.codes import for_board, household_key

    settings = settings_or_fail(COMPONENT, ApiSettings, db_url=db_url)
    board = _board(settings)
    codes, ended = for_board(board, settings.secret("api_signing_key").encode()).revoke(
        site, household
    )
    if not codes and not ended:
        fail(COMPONENT, f"no live code or session for {site} {household} (site and label right?)")
    key = household_key(settings.secret("api_signing_key").encode(), site, household)
    _audit(board.engine, "codes.revoke", "site", site, household_key=key, codes_cancelled=codes,
           sessions_ended=ended)  # fmt: skip
    typer.echo(f"{codes} code(s) cancelled, {ended} session(s) ended for {site} {household}")


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
    written = seed(_board(settings), settings.secret("api_signing_key").encode())
    typer.echo(f"{written} example posts written" if written else "the board has posts; none added")


app.add_typer(staff_cli.app, name="staff")
app.add_typer(units_cli.app, name="units")
