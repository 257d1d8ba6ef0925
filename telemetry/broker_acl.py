"""The Mosquitto ACL generated from the registry (DESIGN.md "Security model").

One `user <agent>` block per agent, allowed to write under its own
`energy/v1/{site}/{agent}/#` and to read nothing, except that an importer agent
reads its own `energy/v1/{site}/{agent}/receipts/#` (the collector's answers
to its batches); one collector user that reads every agent's readings and
status and writes the receipts. Mosquitto denies whatever the file does not
grant, so an agent can neither publish under another agent's prefix nor
subscribe to anyone's data.

    python -m telemetry.broker_acl --config config/sites/demo.yaml > acl

Pure functions (registry in, text out) so the tests, the deploy files and the
operator all use the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from telemetry.config import cli
from telemetry.config.cli import fail
from telemetry.ids import ID_RULE, is_valid_id
from telemetry.receipts import receipts_prefix
from telemetry.registry import AgentKind, ConfigError, Registry, load_registry
from telemetry.topics import agent_prefix, readings_topic, status_topic

DEFAULT_COLLECTOR_USER = "collector"

HEADER = """\
# Mosquitto ACL for the Gwangju energy platform, generated from {source}
# by `python -m telemetry.broker_acl`. Do not edit by hand: regenerate it
# whenever an agent is added or removed.
#
# Each agent may write only under its own energy/v1/{{site}}/{{agent}}/ prefix
# (readings, and its status including the broker-published last will) and may
# read nothing but, for an importer agent, its own receipts/ (the collector's
# answers to its batches). Anything not granted here is denied.
"""


def agent_block(site: str, agent: str, receipts: bool = False) -> str:
    """The ACL block of one agent: write its own prefix; an importer reads its receipts."""
    read = f"topic read {receipts_prefix(site, agent)}#\n" if receipts else ""
    return f"user {agent}\ntopic write {agent_prefix(site, agent)}\n{read}"


def collector_block(user: str = DEFAULT_COLLECTOR_USER) -> str:
    """The collector reads every agent's readings and status and answers in their receipts/."""
    readings = readings_topic("+", "+")
    status = status_topic("+", "+")
    receipts = receipts_prefix("+", "+") + "#"
    return f"user {user}\ntopic read {readings}\ntopic read {status}\ntopic write {receipts}\n"


def site_agents(registry: Registry) -> list[tuple[str, str]]:
    """(site, agent) pairs in registry order."""
    return [(site.id, agent.id) for site in registry.sites.values() for agent in site.agents]


def acl_text(
    pairs: Iterable[tuple[str, str]],
    *,
    collector_users: Iterable[str] = (DEFAULT_COLLECTOR_USER,),
    source: str = "the registry",
    importers: Iterable[str] = (),
) -> str:
    """The whole ACL file for these (site, agent) pairs and collector users; the agents
    in `importers` also read their receipts."""
    pairs = list(pairs)
    collectors = list(collector_users)
    _check_names(pairs, collectors)
    blocks = [collector_block(user) for user in collectors]
    readers = set(importers)
    blocks += [agent_block(site, agent, agent in readers) for site, agent in pairs]
    return HEADER.format(source=source) + "\n" + "\n".join(blocks)


def registry_acl(
    registry: Registry, collector_users: Iterable[str] = (DEFAULT_COLLECTOR_USER,)
) -> str:
    """The ACL for every agent of a loaded registry."""
    importers = [a.id for a in registry.agents.values() if a.kind is AgentKind.IMPORTER]
    return acl_text(
        site_agents(registry),
        collector_users=collector_users,
        source=registry.source.name,
        importers=importers,
    )


def _check_names(pairs: list[tuple[str, str]], collectors: list[str]) -> None:
    # A username with spaces or wildcards would silently grant the wrong thing.
    for site, agent in pairs:
        for kind, value in (("site", site), ("agent", agent)):
            if not is_valid_id(value):
                raise ValueError(f"{kind} {value!r} is not a valid id ({ID_RULE})")
    agents = [agent for _, agent in pairs]
    clashes = sorted(set(agents) & set(collectors))
    if clashes:
        raise ValueError(f"collector user(s) {clashes} clash with agent ids")
    for user in collectors:
        if not is_valid_id(user):
            raise ValueError(f"collector user {user!r} is not a valid id ({ID_RULE})")


COMPONENT = "telemetry.broker_acl"
app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    config: Annotated[
        Path, typer.Option("--config", help="sites file (e.g. config/sites/demo.yaml)")
    ] = Path("config/sites/demo.yaml"),
    collector_user: Annotated[
        list[str] | None,
        typer.Option("--collector-user", help="collector username(s); default: collector"),
    ] = None,
) -> None:
    """Print the Mosquitto ACL for every agent of the sites file."""
    try:
        registry = load_registry(config)
    except ConfigError as exc:
        fail(COMPONENT, str(exc))
    try:
        typer.echo(registry_acl(registry, collector_user or [DEFAULT_COLLECTOR_USER]), nl=False)
    except ValueError as exc:
        fail(COMPONENT, str(exc))


if __name__ == "__main__":
    cli.main(app, COMPONENT)
