"""`python -m api tenancy move-in|move-out|list|adopt|unadopted` and `links revoke`: who lives
in a unit, from a server's shell.

A household on the board, in the surveys and behind a household link is one
tenancy of one unit (telemetry/db/tenancies.py). Units are given as written
("101동 1203호") and resolved by the registry (config/units/); an unknown unit
is refused with the closest. Every change is in the audit log with the actor
`cli` (the OS user in the detail), in the change's transaction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from api import staff_cli
from api.cli_common import _migrate, _resolve
from api.settings import ApiSettings
from telemetry.config.cli import ConfigOpt, fail, settings_or_fail
from telemetry.db import audit
from telemetry.db.cli import DbUrlOpt
from telemetry.registry import ConfigError, Registry, load_registry

COMPONENT = "api"
KST = dt.timezone(dt.timedelta(hours=9))
app = typer.Typer(
    help="Who lives in a unit: move-in, move-out, list; adopt moves the accounts and codes "
    "made before tenancies (by label) onto them, unadopted lists what is left.",
    no_args_is_help=True,
)
links_app = typer.Typer(
    help="Household links: revoke one household's links (others keep theirs).",
    no_args_is_help=True,
)
SiteArg = Annotated[str, typer.Argument(help="the site's id")]
UnitArg = Annotated[str, typer.Argument(help='the unit, as written ("101동 1203호", "101-1203")')]
DateOpt = Annotated[
    str | None, typer.Option("--date", help="the day (YYYY-MM-DD, Korea); default: today")
]


def _day(value: str | None) -> dt.date:
    if value is None:
        return dt.datetime.now(KST).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(COMPONENT, f"--date {value!r}: expected YYYY-MM-DD")


def _setup(config: str | None, db_url: str | None):  # type: ignore[no-untyped-def]
    from telemetry.db import make_engine

    settings = settings_or_fail(COMPONENT, ApiSettings, config=config, db_url=db_url)
    try:
        registry = load_registry(settings.config)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    return settings, registry, make_engine(_migrate(settings))


def _unit(registry: Registry, site: str, spelling: str) -> str:
    return _resolve(registry, site, spelling)[1]


def _actor() -> str:
    return audit.CLI


def _note() -> dict[str, str]:
    """The OS user of a CLI change, in its audit entry (information, not identity)."""
    return staff_cli.cli_detail()


@app.command("move-in")
def move_in_cmd(
    site: SiteArg, unit: UnitArg, date: DateOpt = None, config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
) -> None:  # fmt: skip
    """Record a new household in the unit (refused while the last one has not moved out)."""
    from civic.board import tenancy

    _, registry, engine = _setup(config, db_url)
    unit_id = _unit(registry, site, unit)
    try:
        made = tenancy.move_in(
            engine, _actor(), site, unit_id, _day(date), dt.datetime.now(dt.UTC), _note()
        )
    except tenancy.TenancyError as exc:
        fail(COMPONENT, str(exc))
    typer.echo(f"tenancy {made.id}: unit {unit_id} of {site}, moved in {made.moved_in}")


@app.command("move-out")
def move_out_cmd(
    site: SiteArg, unit: UnitArg, date: DateOpt = None, config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
) -> None:  # fmt: skip
    """Record that the unit's household moved out: its codes are cancelled, its sessions end
    and its links stop."""
    from civic.board import tenancy

    _, registry, engine = _setup(config, db_url)
    unit_id = _unit(registry, site, unit)
    try:
        done = tenancy.move_out(
            engine, _actor(), site, unit_id, _day(date), dt.datetime.now(dt.UTC), _note()
        )
    except tenancy.TenancyError as exc:
        fail(COMPONENT, str(exc))
    typer.echo(
        f"tenancy {done.tenancy.id}: unit {unit_id} of {site}, moved out {done.tenancy.moved_out};"
        f" {done.codes_cancelled} code(s) cancelled, {done.sessions_ended} session(s) ended"
    )


@app.command("list")
def list_cmd(
    site: SiteArg,
    current: Annotated[
        bool, typer.Option("--current", help="only households living there")
    ] = False,
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
) -> None:
    """The site's tenancies: id, unit, moved in, moved out (tab-separated)."""
    from telemetry.db import tenancies

    _, _, engine = _setup(config, db_url)
    with engine.connect() as conn:
        rows = tenancies.of_site(conn, site, open_only=current)
    typer.echo("id\tunit\tmoved_in\tmoved_out")
    for t in rows:
        typer.echo(f"{t.id}\t{t.unit}\t{t.moved_in}\t{t.moved_out or ''}")


@links_app.command("revoke")
def links_revoke_cmd(
    unit: Annotated[
        tuple[str, str] | None,
        typer.Option("--unit", help="SITE UNIT: the unit's current household"),
    ] = None,
    household: Annotated[
        str | None, typer.Option("--household", help="a programme household not at a unit")
    ] = None,
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
) -> None:
    """Refuse every link of one household issued so far; sign it a new one with
    sign-household. Other households' links are untouched."""
    from civic.board import tenancy
    from telemetry.db import tenancies

    _, registry, engine = _setup(config, db_url)
    now = dt.datetime.now(dt.UTC)
    if (unit is None) == (household is None):
        fail(COMPONENT, "give either --unit SITE UNIT or --household ID")
    if household is not None:
        found = registry.households.households.get(household)
        if found is None:
            fail(COMPONENT, f"{household!r} is no household of the registry")
        if found.unit is None:
            version = tenancy.revoke_household_links(engine, _actor(), household, now, _note())
            typer.echo(f"links of household {household} revoked (link version {version})")
            return
        unit = (found.site or "", found.unit)
    site, spelling = unit  # type: ignore[misc]
    unit_id = _unit(registry, site, spelling)
    with engine.connect() as conn:
        current = tenancies.current(conn, site, unit_id)
    if current is None:
        fail(COMPONENT, f"unit {unit_id} of {site} has no current tenant")
    version = tenancy.revoke_links(engine, _actor(), current.id, now, _note())
    typer.echo(f"links of unit {unit_id} of {site} (tenancy {current.id}) revoked "
               f"(link version {version})")  # fmt: skip


@app.command("adopt")
def adopt_cmd(
    site: SiteArg,
    households: Annotated[
        Path,
        typer.Option("--households", help="the labels file the old code sheets were made from"),
    ],
    moved_in: Annotated[
        str, typer.Option("--moved-in", help="move-in day for units without a tenancy (YYYY-MM-DD)")
    ],
    config: ConfigOpt = None,
    db_url: DbUrlOpt = None,
) -> None:
    """Move the accounts and codes made before tenancies (keyed by an HMAC of their label)
    onto their units' current tenancies: each label that resolves to a unit is matched by its
    HMAC under the signing key; a unit without a tenancy gets one from --moved-in. Labels
    that resolve to no unit are listed, as are two labels of one unit that both had an
    account (the newer is adopted; the older keeps its rows but no tenancy)."""
    from civic.board.adopt import adopt
    from civic.board.sheet import read_households

    settings, registry, engine = _setup(config, db_url)
    if site not in registry.units:
        fail(COMPONENT, f"site {site!r} lists no units")
    try:
        labels, _ = read_households(households)
        key = settings.signing_key()
    except (ValueError, OSError) as exc:
        fail(COMPONENT, str(exc))
    if not key:
        fail(COMPONENT, "the signing key the old codes were made with is needed")
    report = adopt(engine, key.encode(), registry.units[site], labels, _day(moved_in),
                   dt.datetime.now(dt.UTC), _actor())  # fmt: skip
    for line in report.lines():
        typer.echo(line)


@app.command("unadopted")
def unadopted_cmd(config: ConfigOpt = None, db_url: DbUrlOpt = None) -> None:
    """Accounts and live codes still keyed by a label (no tenancy), per site."""
    from civic.board.adopt import unadopted

    _, _, engine = _setup(config, db_url)
    rows = unadopted(engine)
    typer.echo("site\taccounts\tlive_codes")
    for site, accounts, codes in rows:
        typer.echo(f"{site}\t{accounts}\t{codes}")
