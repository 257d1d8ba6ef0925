"""`python -m api staff add|passwd|disable|list`: city staff's accounts, from a server's shell.

A password is read from a hidden prompt (typed twice) or, with
`--password-stdin`, from the first line of standard input; never from the
command line, where other users of the machine and the shell history see it.
Every change is recorded in the audit log with the actor `cli` (the OS user
in the detail: information, not identity; whoever runs this holds the
database's credentials anyway).
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from telemetry.config.cli import fail, settings_or_fail
from telemetry.db import audit
from telemetry.db.cli import DbUrlOpt

COMPONENT = "api"
app = typer.Typer(
    help="City staff's accounts (named, with roles): add, passwd, disable, list. "
    "Roles: moderator, survey_admin, code_issuer, operator, administrator, facility_manager "
    "(with --site). Staff sign in at /staff/signin.",
    no_args_is_help=True,
)
PasswordStdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="read the password from the first line of stdin"),
]


def cli_detail() -> dict[str, str]:
    try:
        return {"os_user": getpass.getuser()}
    except (KeyError, OSError):  # no user name in this environment
        return {}


def _accounts(db_url: str | None):  # type: ignore[no-untyped-def]
    from api.settings import ApiSettings
    from staff.accounts import StaffAccounts
    from telemetry.db import DEFAULT_DB_URL, make_engine, migrate

    settings = settings_or_fail(COMPONENT, ApiSettings, db_url=db_url)
    url = settings.db_url or DEFAULT_DB_URL
    try:
        migrate.upgrade(url)
    except Exception:
        # Another process (the API) may have migrated it first: fine if it is current.
        if migrate.current(url) != migrate.head():
            raise
    return StaffAccounts(make_engine(url))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            fail(COMPONENT, "--password-stdin: standard input holds no password")
        return password
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="the sign-in name (a-z 0-9 . _ -)")],
    role: Annotated[list[str], typer.Option("--role", help="a role (repeat for several)")],
    site: Annotated[
        list[str] | None,
        typer.Option("--site", help="a facility manager's site (repeat for several)"),
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="the name shown in the staff pages")
    ] = None,
    password_stdin: PasswordStdinOpt = False,
    db_url: DbUrlOpt = None,
) -> None:
    """Add a staff account with its roles."""
    from staff import roles
    from staff.accounts import StaffRefused

    try:
        roles.check(role)
    except roles.UnknownRole as exc:
        fail(COMPONENT, str(exc))
    accounts = _accounts(db_url)
    try:
        user = accounts.add(
            name,
            _password(password_stdin),
            role,
            actor=audit.CLI,
            sites=site or (),
            display_name=display_name,
            detail=cli_detail(),
        )
    except StaffRefused as exc:
        fail(COMPONENT, str(exc))
    sites = f", sites {', '.join(user.sites)}" if user.sites else ""
    typer.echo(f"added {user.name} ({', '.join(user.roles)}{sites})")


@app.command("passwd")
def passwd_cmd(
    name: Annotated[str, typer.Argument(help="the account")],
    password_stdin: PasswordStdinOpt = False,
    db_url: DbUrlOpt = None,
) -> None:
    """Set a new password (the account's sessions end)."""
    from staff.accounts import StaffRefused

    accounts = _accounts(db_url)
    try:
        accounts.set_password(name, _password(password_stdin), actor=audit.CLI, detail=cli_detail())
    except StaffRefused as exc:
        fail(COMPONENT, str(exc))
    typer.echo(f"new password set for {name}; its sessions ended")


@app.command("disable")
def disable_cmd(
    name: Annotated[str, typer.Argument(help="the account")],
    db_url: DbUrlOpt = None,
) -> None:
    """Disable an account: it signs in no more, its sessions end; its records keep its name."""
    from staff.accounts import StaffRefused

    try:
        _accounts(db_url).disable(name, actor=audit.CLI, detail=cli_detail())
    except StaffRefused as exc:
        fail(COMPONENT, str(exc))
    typer.echo(f"disabled {name}")


@app.command("list")
def list_cmd(db_url: DbUrlOpt = None) -> None:
    """Every account: name, roles, sites, disabled or not."""
    for user in _accounts(db_url).list():
        state = "disabled" if user.disabled else "active"
        sites = ",".join(user.sites) or "-"
        typer.echo(f"{user.name}\t{','.join(user.roles)}\t{sites}\t{state}\t{user.display_name}")
