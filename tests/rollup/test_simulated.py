"""Simulated sites counted in the group rollups (issue 28, "simulated says so").

A site flagged `simulated` in the registry counts in `Holders.simulated`; with
any simulated site in the registry every group point carries
`simulated_sites` (0 included, so a rewritten point never keeps an old
count), and without one no point changes. A registered household whose
readings a simulated site's importer stored counts as simulated too.
"""

from __future__ import annotations

from collector.rollup.aggregate import aggregate, group_points
from collector.rollup.groups import CITY, Holders, SiteInfo
from collector.rollup.placement import Placement
from simulators.fleet.plan import FleetAgent
from simulators.fleet.registry_file import sites_document
from telemetry.influx_schema import CONSUMPTION_1H, FIELD_SIMULATED_SITES
from telemetry.paths import PROJECT_ROOT
from telemetry.registry import Site, load_registry

HOUR = 1_796_000_400_000
SIM = [SiteInfo(f"sim-{i}", "29140", "2914083000", "apartment", 10, True) for i in range(3)]
REAL = [SiteInfo(f"real-{i}", "29140", "2914083000", "apartment", 10) for i in range(4)]


def _points(sites: list[SiteInfo], simulated: bool) -> list[str]:
    items = [("electricity", s.site, HOUR, 5.0, 1) for s in sites]
    cells, _unknown = aggregate(items, {s.site: s for s in sites})
    out = group_points(CONSUMPTION_1H, cells, 5, lambda _u, t: {"consumption": t},
                       simulated=simulated)  # fmt: skip
    return out.private


def _field(line: str) -> int | None:
    fields = line.split(" ")[1].split(",")
    found = [f for f in fields if f.startswith(FIELD_SIMULATED_SITES + "=")]
    return int(found[0].split("=")[1].rstrip("i")) if found else None


def test_holders_count_simulated_sites_both_ways() -> None:
    h = Holders()
    for s in [*SIM, *REAL]:
        h.add_site(s)
    assert (h.sites, h.simulated) == (7, 3)
    h.add_site(SIM[0], -1)
    assert (h.sites, h.simulated) == (6, 2)


def test_every_point_says_how_many_of_its_sites_are_simulated() -> None:
    points = _points([*SIM, *REAL], simulated=True)
    assert len(points) == 6  # the six groups of one dong and building type
    assert [_field(p) for p in points] == [3] * 6  # each holds all seven sites
    real_only = _points(REAL, simulated=True)
    assert {_field(p) for p in real_only} == {0}  # said, even when none is


def test_a_registry_without_simulated_sites_writes_what_it_wrote_before() -> None:
    assert all(_field(p) is None for p in _points(REAL, simulated=False))


def test_a_household_imported_by_a_simulated_importer_is_simulated() -> None:
    importer = SiteInfo("sim-import", "29140", "2914083000", "apartment", 100, True)
    placement = Placement({importer.site: importer})
    place = placement.imported(importer.site, "hh-9-electricity-bill")
    assert place is not None and place.info.simulated
    assert CITY in place.info.groups()


def test_the_fleet_and_the_demo_flag_their_sites() -> None:
    agent = FleetAgent("f-1", "f-1-gw", "29140", "2914083000", "apartment",
                       "apartment_complex", 40, ())  # fmt: skip
    (site,) = sites_document([agent])["sites"]
    assert Site.model_validate({**site, "agents": []}).simulated
    demo = load_registry(PROJECT_ROOT / "config" / "sites" / "demo.yaml")
    assert demo.sites and all(s.simulated for s in demo.sites.values())
    assert Site.model_fields["simulated"].default is False  # a real site unless it says so
