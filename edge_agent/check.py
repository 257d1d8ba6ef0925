"""`--check`: validate the config, try each meter once, print a table."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from edge_agent.agent import make_buses, policy_from
from edge_agent.metrics import Metrics
from edge_agent.poller import MeterPoller, PollFailed
from edge_agent.settings import AgentSettings
from telemetry.models import Quality, Reading
from telemetry.registry import Registry
from telemetry.registry.sites import Agent, Meter, Site


@dataclass
class CheckResult:
    site: str
    agent: str
    meter: Meter
    reading: Reading | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.reading is not None and self.reading.quality is not Quality.BAD


async def _check_agent(
    site: Site, agent: Agent, registry: Registry, settings: AgentSettings
) -> list[CheckResult]:
    buses = make_buses(agent.meters, agent.request_gap_s)
    metrics = Metrics()
    results = []
    try:
        for meter in agent.meters:
            poller = MeterPoller(
                meter,
                registry.profile_of(meter),
                buses[meter.connection.bus],
                lambda r: None,
                metrics,
                policy_from(settings),
            )
            try:
                reading = await poller.poll_once()
                problems = "; ".join(poller.health.problems) or None
                results.append(CheckResult(site.id, agent.id, meter, reading, problems))
            except PollFailed as exc:
                results.append(CheckResult(site.id, agent.id, meter, None, f"{exc.kind}: {exc}"))
    finally:
        for bus in buses.values():
            bus.close()
    return results


async def run_check(
    registry: Registry, agent_id: str | None, settings: AgentSettings
) -> list[CheckResult]:
    """Every meter of `agent_id`, or of every agent in the config when it is None."""
    results: list[CheckResult] = []
    for site, agent in _agents(registry, agent_id):
        results += await _check_agent(site, agent, registry, settings)
    return results


def _agents(registry: Registry, agent_id: str | None) -> list[tuple[Site, Agent]]:
    if agent_id:
        return [(registry.site_of_agent(agent_id), registry.agents[agent_id])]
    return [(s, a) for s in registry.sites.values() for a in s.agents]


def _sample(reading: Reading | None, limit: int = 3) -> str:
    if reading is None:
        return ""
    items = list(reading.values.items())
    text = ", ".join(f"{k}={v:.6g}" for k, v in items[:limit])
    return text + (f" (+{len(items) - limit})" if len(items) > limit else "")


def _where(meter: Meter) -> str:
    return f"{meter.connection.bus} unit {meter.connection.unit}"


def print_table(results: list[CheckResult], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="edge agent check")
    for column in (
        "site/agent",
        "meter",
        "connection",
        "reachable",
        "quality",
        "sample values",
        "problem",
    ):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            f"{r.site}/{r.agent}",
            r.meter.id,
            _where(r.meter),
            "yes" if r.reading else "NO",
            r.reading.quality.value if r.reading else "-",
            _sample(r.reading),
            r.error or "",
        )
    console.print(table)
    failed = sum(not r.ok for r in results)
    console.print(
        f"{len(results) - failed} of {len(results)} meters OK"
        + (f", {failed} failing" if failed else "")
    )


def check(registry: Registry, agent_id: str | None, settings: AgentSettings) -> bool:
    # pymodbus logs each refused connect itself; the table already says it per meter.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    results = asyncio.run(run_check(registry, agent_id, settings))
    print_table(results, Console(width=170))
    return all(r.ok for r in results)
