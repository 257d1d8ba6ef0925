"""The synthetic city the benches share: sites, readings and arrival markers.

One home for what bench_api, bench_rollup, bench_rollup_pass and bench_alerts
all build on, so no bench imports another (they used to import each other).
Sites are spread over Gwangju's 96 dongs and six building types, each with an
electricity, a water and a solar meter (RATES); readings and markers are
written in the collector's exact format.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from collector.arrivals import Handed, Span, markers
from collector.rollup.cli import build_engine
from collector.rollup.engine import Engine
from collector.rollup.heap import Heap
from collector.rollup.settings import RollupSettings
from devstack import InfluxServer
from telemetry.influx_schema import handed_bucket, kept_as_handed
from telemetry.registry import Registry, load_geography

MINUTE, HOUR = 60_000, 3_600_000
TYPES = ["apartment", "detached_house", "industrial", "commercial", "public", "education"]
KIND = {
    "apartment": "apartment_complex",
    "detached_house": "household",
    "industrial": "industrial_complex",
}
RATES = {
    "electricity": ("energy_kwh", "power_kw", 40.0),
    "water": ("volume_m3", "flow_m3h", 2.0),
    "solar": ("energy_kwh", "power_kw", 8.0),
}


def sites_yaml(n_sites: int) -> str:
    """A sites file of `n_sites` sites, round-robin over the dongs and building types."""
    dongs = sorted(load_geography().dongs.values(), key=lambda d: d.code)
    out = ["sites:\n"]
    for i in range(n_sites):
        dong = dongs[i % len(dongs)]
        bt = TYPES[i % len(TYPES)]
        hh = {"apartment": 400, "detached_house": 1}.get(bt)
        out.append(
            f"  - id: s{i:05d}\n    name_ko: s{i}\n    name_en: s{i}\n"
            f"    kind: {KIND.get(bt, 'public_building')}\n"
            f'    district: "{dong.district}"\n    dong: "{dong.code}"\n    building_type: {bt}\n'
            + (f"    households: {hh}\n" if hh else "")
            + f"    agents:\n      - id: s{i:05d}-gw\n"
        )
    return "".join(out)


def write(url: str, db: str, lines: list[str]) -> None:
    """Line protocol (ms) into `db`, in the collector's 5,000-line batches."""
    with InfluxDBClient(url=url, token="", org="gwangju", timeout=120_000) as client:
        api = client.write_api(write_options=SYNCHRONOUS)
        for i in range(0, len(lines), 5000):
            api.write(bucket=db, record=lines[i : i + 5000], write_precision=WritePrecision.MS)


class City:
    """Readings and arrival markers of every meter, as the collector stores them."""

    def __init__(
        self, registry: Registry, read_ms: int, base_ms: int = 0, hand_over: bool = True
    ) -> None:
        self.sites = list(registry.sites.values())
        self.read_ms = read_ms
        self.base_ms = base_ms  # when every counter stood at 1000
        self.hand_over = hand_over  # markers carry their readings, as the collector's do
        self._stamp = 0

    def batch(self, start: int, end: int) -> tuple[list[str], list[str]]:
        """Readings with ts in [start, end) and their markers (arrived ts + 1 s)."""
        lines: list[str] = []
        spans: dict[tuple[int, str], Span] = {}
        handed: list[Handed] = []
        for n, site in enumerate(self.sites):
            tags = (
                f"site={site.id},district={site.district},dong={site.dong},"
                f"building_type={site.building_type.value},quality=good"
            )
            offset = (n * 7_919) % self.read_ms  # staggered polls
            first = start + (offset - start) % self.read_ms
            for ts in range(first, end, self.read_ms):
                for utility, (counter, rate_field, rate) in RATES.items():
                    r = rate * (1 + (n % 7) / 10)
                    value = 1000.0 + r * (ts - self.base_ms) / HOUR
                    lines.append(
                        f"{utility},meter={utility}-1,{tags} {counter}={value},{rate_field}={r} {ts}"
                    )
                    handed.append((utility, f"{utility}-1", ts, value, r))
                key = (ts - ts % MINUTE, site.id)
                span = spans.setdefault(key, Span(ts, ts, 0, [] if self.hand_over else None))
                span.add(ts, len(RATES))
                if span.handed is not None:
                    span.handed.extend(handed)
                handed.clear()
        return lines, [
            x for (_minute, site), span in spans.items() for x in self._markers(site, span)
        ]

    def _markers(self, site: str, span: Span) -> list[str]:
        """The site's marker, and the readings it hands over (arrivals.markers)."""
        self._stamp += 1
        at_ns = (span.t1_ms + 1000) * 1_000_000 + self._stamp % 10**6
        return markers("bench", site, span, at_ns)


def rollup_engine(sites: Path, registry: Registry, url: str, raw: str, public: str) -> Engine:
    """A rollup engine in-process over `raw` and `public`, with default settings, its
    state frozen after each pass as in the rollup process (heap.py)."""
    settings = RollupSettings(
        config=sites, influx_url=url, influx_bucket=raw, influx_public_bucket=public
    )
    return build_engine(settings, registry, Heap())


def store(url: str, db: str, lines: list[str], markers: list[str]) -> None:
    """Readings, then their arrival markers: the collector's order."""
    write(url, db, lines)
    store_markers(url, db, markers)


def store_markers(url: str, db: str, lines: list[str]) -> None:
    """Arrival markers (ns), as the collector writes them after the readings: the
    readings they hand over first, to their own policy."""
    handed = [x for x in lines if kept_as_handed(x)]
    marks = [x for x in lines if not kept_as_handed(x)]
    with InfluxDBClient(url=url, token="", org="gwangju", timeout=120_000) as client:
        api = client.write_api(write_options=SYNCHRONOUS)
        for bucket, part in ((handed_bucket(db), handed), (db, marks)):
            for i in range(0, len(part), 5000):
                body = "\n".join(part[i : i + 5000])
                api.write(bucket=bucket, record=body, write_precision=WritePrecision.NS)


@contextmanager
def scratch_influx(**settings: str) -> Iterator[tuple[InfluxServer, Path]]:
    """An InfluxDB of its own in a temporary directory (stopped and removed after),
    with that directory for the bench's other files."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "influx").mkdir()
        influx = InfluxServer(Path(tmp) / "influx", **settings)
        influx.start()
        try:
            yield influx, Path(tmp)
        finally:
            influx.stop()
