"""Which meters of a sites file `serve` runs, and the load spec of each."""

from __future__ import annotations

from dataclasses import dataclass

from simulators.model.spec import LoadSpec
from telemetry.registry import Meter, Registry, Site


class SelectionError(ValueError):
    """A --site or --meter that the config does not have."""


@dataclass(frozen=True, slots=True)
class Selected:
    site: Site
    meter: Meter

    @property
    def key(self) -> str:
        return f"{self.site.id}/{self.meter.id}"


def select(registry: Registry, sites: list[str], meters: list[str]) -> list[Selected]:
    """All meters, or those of the named sites plus the named SITE/METER pairs."""
    everything = [Selected(s, m) for s, _a, m in registry.meters()]
    known_keys = {x.key for x in everything}
    for site in sites:
        if site not in registry.sites:
            raise SelectionError(
                f"--site {site!r}: not in {registry.source} (sites: {', '.join(registry.sites)})"
            )
    for key in meters:
        if key not in known_keys:
            raise SelectionError(
                f"--meter {key!r}: no such SITE/METER in {registry.source} "
                f"(e.g. {next(iter(known_keys), 'none')})"
            )
    if not sites and not meters:
        return everything
    return [x for x in everything if x.site.id in sites or x.key in meters]


def load_specs(chosen: list[Selected], seed: int) -> dict[str, LoadSpec]:
    """Households of an apartment site are shared by its meters of the same utility."""
    specs: dict[str, LoadSpec] = {}
    for x in chosen:
        # counted over the whole site, so a meter shows the same load whatever is selected
        same = sum(1 for a in x.site.agents for m in a.meters if m.utility == x.meter.utility)
        households = (x.site.households or 1) / max(1, same)
        specs[x.key] = LoadSpec(
            seed=seed,
            site=x.site.id,
            meter=x.meter.id,
            utility=x.meter.utility.value,
            building_type=x.site.building_type.value,
            households=households,
        )
    return specs
