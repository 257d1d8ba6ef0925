"""A rule's scope as registry entries (meters, agents) and as an InfluxQL condition."""

from __future__ import annotations

from alerts.rules import Scope
from telemetry import influx_schema as s
from telemetry.influxql import tag_eq
from telemetry.registry import Agent, Meter, Registry, Site


def scoped_meters(scope: Scope, registry: Registry) -> list[tuple[Site, Meter]]:
    return [
        (site, meter)
        for site, _agent, meter in registry.meters()
        if _site_in(scope, site) and (scope.meter is None or meter.id == scope.meter)
    ]


def scoped_agents(scope: Scope, registry: Registry) -> list[tuple[Site, Agent]]:
    return [
        (site, agent)
        for site in registry.sites.values()
        for agent in site.agents
        if _site_in(scope, site)
        and (scope.meter is None or any(m.id == scope.meter for m in agent.meters))
    ]


def scope_condition(scope: Scope) -> str:
    """`AND …` narrowing a query to the scope ('' for every meter)."""
    parts = []
    if scope.site:
        parts.append(tag_eq(s.TAG_SITE, scope.site))
    if scope.meter:
        parts.append(tag_eq(s.TAG_METER, scope.meter))
    if scope.dong:
        parts.append(tag_eq(s.TAG_DONG, scope.dong))
    return "".join(f" AND {p}" for p in parts)


def _site_in(scope: Scope, site: Site) -> bool:
    if scope.site:
        return site.id == scope.site
    return scope.dong is None or site.dong == scope.dong
