"""A small city where one factory uses ~90 % of its dong (issue 24), written into a real
InfluxDB and rolled up by the real rollup process; shared by the e2e and browser tests."""

from __future__ import annotations

import time
from pathlib import Path

from devstack import InfluxServer
from telemetry.influxql import InfluxQL
from tests.rollup import city
from tests.rollup.conftest import RolledCity, fresh_db

DISTRICT = "29200"
FACTORY_DONG = "2920051500"  # 송정1동: a factory and four small workshops
SHOPS_DONG = "2920052500"  # 송정2동: six shops
SPECS = [
    city.MeterSpec("fac", "main", "electricity", DISTRICT, FACTORY_DONG, "industrial", 900.0, 1e5),
    *(
        city.MeterSpec(
            f"ws-{i}", "main", "electricity", DISTRICT, FACTORY_DONG, "industrial", 25.0, 1e4
        )
        for i in range(4)
    ),
    *(
        city.MeterSpec(
            f"shop-{i}", "main", "electricity", DISTRICT, SHOPS_DONG, "commercial", 10.0 + i, 5e3
        )
        for i in range(6)
    ),
    city.MeterSpec("apt", "main", "electricity", *city.APARTMENT_DONG, "apartment", 75.0, 7e3),
]


def dominated_sites() -> str:
    parts = ["sites:\n"]
    for s in SPECS:
        if s.site == "apt":
            parts.append(
                city._site_yaml("apt", "apartment_complex", *city.APARTMENT_DONG, "apartment", 840)
            )
        else:
            parts.append(
                city._site_yaml(
                    s.site, "industrial_complex", s.district, s.dong, s.building_type, None
                )
            )
    return "".join(parts)


def roll_dominated_city(influx: InfluxServer, folder: Path) -> RolledCity:
    """The city's last hour of readings, rolled up once."""
    sites = folder / "sites.yaml"
    sites.write_text(dominated_sites(), encoding="utf-8")
    now = int(time.time() * 1000)
    start = now - now % city.HOUR - city.HOUR
    minutes = (now - start) // city.MINUTE
    raw, public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
    points = [
        city.point(s, start + i * city.MINUTE, city.counter_at(s, i), s.rate, "good")
        for s in SPECS
        for i in range(int(minutes))
    ]
    city.write_on_time(influx.url, raw, points)
    c = RolledCity(
        influx.url,
        raw,
        public,
        sites,
        start,
        start + int(minutes) * city.MINUTE,
        InfluxQL(influx.url),
    )
    c.rollup()
    return c
