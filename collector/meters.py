"""Which meters of a site the collector admits: known ones always, new ones up to a limit.

Any well-formed meter id under a known site is accepted (DESIGN.md), so a buggy
agent could create series without end. Each site has a limit (registry:
`expected_meters` + `meter_margin`). A meter is known when the registry lists
it, when InfluxDB already holds readings of it, or when this process admitted
it; a new meter is admitted while the site's known set is below its limit.

The stored meters of a site are read from InfluxDB the first time a meter the
registry does not list arrives (one `SHOW TAG VALUES` per site), and again,
at most every RESEED_S, before refusing one: a meter that another collector
admitted meanwhile is then known here too. If the query fails (InfluxDB down,
a write-only token) the site runs on what this process knows and the query is
retried later; the limit still holds. See collector/README.md "Unknown meters"
for what several collectors side by side imply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from telemetry import influx_schema as s
from telemetry.fields import Utility
from telemetry.influxql import InfluxQL, InfluxQueryError, quote_ident, quote_literal
from telemetry.registry import Registry

log = logging.getLogger(__name__)

RESEED_S = 30.0  # at most one look-up per site this often
StoredMeters = Callable[[str], set[str]]  # site id -> meter ids InfluxDB holds


@dataclass
class _Site:
    known: set[str]
    limit: int
    looked_at: float | None = None  # monotonic time of the last InfluxDB look-up


@dataclass(slots=True)
class Admission:
    """New meters admitted by one batch, and the refused ones."""

    limit: int
    admitted: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)


class MeterGate:
    def __init__(self, registry: Registry, stored: StoredMeters | None = None) -> None:
        self.stored = stored
        self._sites: dict[str, _Site] = {}
        self._registry = registry

    def use_registry(self, registry: Registry) -> None:
        """A reloaded registry: new limits and listed meters; what was learnt stays."""
        self._registry = registry
        for site_id, state in list(self._sites.items()):
            if site_id not in registry.sites:
                del self._sites[site_id]
                continue
            site = registry.sites[site_id]
            state.limit = registry.sites_file.meter_limit(site)
            state.known |= site.listed_meters

    def admit(self, site_id: str, meters: Iterable[str]) -> Admission:
        state = self._site(site_id)
        out = Admission(state.limit)
        for meter in meters:
            if meter not in state.known and state.looked_at is None:
                self._look_up(site_id, state)
            if meter in state.known or meter in out.refused:
                continue
            if len(state.known) >= state.limit and self._look_again(site_id, state, meter):
                continue
            if len(state.known) < state.limit:
                state.known.add(meter)
                out.admitted.append(meter)
            else:
                out.refused.add(meter)
        return out

    def _site(self, site_id: str) -> _Site:
        state = self._sites.get(site_id)
        if state is None:
            site = self._registry.sites[site_id]
            state = _Site(set(site.listed_meters), self._registry.sites_file.meter_limit(site))
            self._sites[site_id] = state
        return state

    def _look_again(self, site_id: str, state: _Site, meter: str) -> bool:
        """Before refusing: True when the meter turned out to be stored meanwhile."""
        if state.looked_at is None or time.monotonic() - state.looked_at >= RESEED_S:
            self._look_up(site_id, state)
        return meter in state.known

    def _look_up(self, site_id: str, state: _Site) -> None:
        if self.stored is None:
            return
        state.looked_at = time.monotonic()
        try:
            state.known |= self.stored(site_id)
        except (InfluxQueryError, ValueError) as exc:
            log.warning(
                "meters of site %s not read from InfluxDB (retried later): %s", site_id, exc
            )


def influx_stored_meters(client: InfluxQL, bucket: str) -> StoredMeters:
    """The meter ids InfluxDB holds for a site: point, interval and cost measurements."""
    names = [u.value for u in Utility] + [s.interval_measurement(u.value) for u in Utility]
    measurements = ",".join(s.rollup_from(n) for n in [*names, s.UTILITY_COST])

    def stored(site_id: str) -> set[str]:
        q = (
            f'SHOW TAG VALUES FROM {measurements} WITH KEY = "meter" '
            f"WHERE {quote_ident('site')} = {quote_literal(site_id)}"
        )
        return {str(row["value"]) for row in client.rows(q, bucket)}

    return stored
