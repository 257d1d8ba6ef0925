"""`python -m collector meters`: the meters InfluxDB holds per site, first and last seen.

The meter inventory is a query (DESIGN.md): a meter's first stored reading is
its record. This lists, per site, the meters the registry does not list (the
auto-accepted ones, where a buggy agent's phantoms show up), with the site's
limit, so an operator can spot them, fix the agent, and raise `expected_meters`
where the meters are real. First seen is within the raw bucket's retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from telemetry.fields import Utility
from telemetry.influxql import InfluxQL, quote_ident, quote_literal
from telemetry.registry import Registry


@dataclass
class SeenMeter:
    site: str
    meter: str
    utility: str
    first_ms: int
    last_ms: int
    listed: bool


def seen_meters(
    client: InfluxQL, bucket: str, registry: Registry, site: str | None = None
) -> list[SeenMeter]:
    """Every (site, meter, utility) stored, sorted by site and first seen."""
    where = f" WHERE {quote_ident('site')} = {quote_literal(site)}" if site else ""
    out: list[SeenMeter] = []
    for utility in Utility:
        first = _ends(client, bucket, utility.value, where, "ASC")
        last = _ends(client, bucket, utility.value, where, "DESC")
        for (site_id, meter), first_ms in first.items():
            if site_id not in registry.sites:
                continue  # a site since removed from the registry
            listed = meter in registry.sites[site_id].listed_meters
            last_ms = last.get((site_id, meter), first_ms)
            out.append(SeenMeter(site_id, meter, utility.value, first_ms, last_ms, listed))
    return sorted(out, key=lambda m: (m.site, m.first_ms, m.meter))


def _ends(
    client: InfluxQL, bucket: str, measurement: str, where: str, order: str
) -> dict[tuple[str, str], int]:
    q = (
        f"SELECT * FROM {quote_ident(measurement)}{where} "
        f'GROUP BY "site", "meter" ORDER BY time {order} LIMIT 1'
    )
    return {
        (s.tags["site"], s.tags["meter"]): int(s.values[0][0]) for s in _series(client, q, bucket)
    }


def _series(client: InfluxQL, q: str, bucket: str) -> list:
    return [s for s in client.series(q, bucket, epoch="ms") if s.values]


def report(meters: list[SeenMeter], registry: Registry, show_listed: bool) -> list[str]:
    """Text lines: a heading per site, then its meters."""
    lines: list[str] = []
    for site_id in sorted({m.site for m in meters}):
        site = registry.sites[site_id]
        of_site = [m for m in meters if m.site == site_id]
        unlisted = [m for m in of_site if not m.listed]
        distinct = len({m.meter for m in of_site})
        lines.append(
            f"{site_id}: {distinct} meters stored, {len(site.listed_meters)} listed, "
            f"limit {registry.sites_file.meter_limit(site)}; "
            f"{len({m.meter for m in unlisted})} not in the registry"
        )
        for m in of_site if show_listed else unlisted:
            mark = "listed" if m.listed else "first seen"
            lines.append(
                f"  {m.meter:<32} {m.utility:<11} {mark:<10} "
                f"first {_iso(m.first_ms)}  last {_iso(m.last_ms)}"
            )
    return lines or ["no meters stored"]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
