"""A test city mixing metered counters and imported intervals (Green Button, bills).

Layout (times relative to the KST month M holding now):
- `apt`: an apartment complex (100 households, 서구 풍암동) with a bulk
  electricity counter read every minute for the last 3 hours.
- `imp`: the importer's site (광산구 하남동, public); every import is stored
  under it, as the collector stores an importer agent's readings.
- hh-a lives at `apt` (its meters named in the registry): hourly Green
  Button electricity for the last 30 hours (the last 3 overlap the bulk
  counter, which wins) and a bill straddling M-2 and M-1.
- hh-b, standalone (북구 문흥1동, detached house): daily Green Button
  electricity for ten days of M-2, re-imported as 15-minute data over two of
  them (finer wins); bills from M-3 to M-1 (the Green Button wins in M-2);
  hourly gas intervals starting at half past (in no hour: days and months).
- hh-c, standalone (남구 양림동): a water bill straddling M-2 and M-1.
- zz-9-electricity: an import of no registered household (daily, M-1).
Late (a second phase): hh-c's heat bill of M-5..M-4 and a day of hh-a's
15-minute gas four months back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from collector.intervals import arrival_line, span_fields
from telemetry.influx_schema import READING_TAGS
from telemetry.lineproto import line
from telemetry.readings_v2 import IntervalReading
from tests.rollup import city

KST = timezone(timedelta(hours=9))
DAY = 86_400_000
IMP = ("29200", "2920064000", "public")
APT = ("29140", "2914083000", "apartment")
HH_B_DONG = ("29170", "2917065600")
HH_C_DONG = ("29155", "2915551000")
# Where each holder counts: (district, dong, building type, households, gate site)
HOLDERS = {
    "apt": (*APT, 100, None),
    "hh-a": (*APT, 1, "apt"),
    "hh-b": (*HH_B_DONG, "detached_house", 1, None),
    "hh-c": (*HH_C_DONG, "apartment", 1, None),
    "imp/zz-9": (*IMP, 1, None),
}
BULK = city.MeterSpec("apt", "bulk-elec", "electricity", *APT, rate=50.0, base=10_000.0)

SITES = f"""programmes: programmes.yaml
households: households.yaml
sites:
  - id: apt
    name_ko: apt
    name_en: apt
    kind: apartment_complex
    district: "{APT[0]}"
    dong: "{APT[1]}"
    building_type: apartment
    households: 100
    agents:
      - id: apt-gw
  - id: imp
    name_ko: imp
    name_en: imp
    kind: public_building
    district: "{IMP[0]}"
    dong: "{IMP[1]}"
    building_type: public
    agents:
      - id: imp-import
        kind: importer
        name: importer
"""
HOUSEHOLDS = f"""version: 1
households:
  - id: hh-a
    site: apt
    building_type: apartment
    size_band: 60-85
    meters: [imp/hh-a-electricity, imp/hh-a-electricity-bill, imp/hh-a-gas]
  - id: hh-b
    dong: "{HH_B_DONG[1]}"
    building_type: detached_house
    size_band: 85-135
  - id: hh-c
    dong: "{HH_C_DONG[1]}"
    building_type: apartment
    size_band: 40-60
"""


def write_registry(directory: Path) -> Path:
    (directory / "households.yaml").write_text(HOUSEHOLDS, encoding="utf-8")
    (directory / "programmes.yaml").write_text("version: 1\nprogrammes: []\n", encoding="utf-8")
    path = directory / "sites.yaml"
    path.write_text(SITES, encoding="utf-8")
    return path


def kst_month(now_ms: int, back: int, day: int = 1) -> int:
    """ms of 00:00 KST on `day` of the month `back` months before the one holding now."""
    local = datetime.fromtimestamp(now_ms / 1000, tz=KST)
    index = local.year * 12 + local.month - 1 - back
    return int(datetime(index // 12, index % 12 + 1, day, tzinfo=KST).timestamp() * 1000)


Span = tuple[str, str, int, int, float]  # (utility, meter, start ms, end ms, amount)


def steps(utility: str, meter: str, start: int, step: int, n: int, base: float) -> list[Span]:
    return [
        (utility, meter, start + i * step, start + (i + 1) * step, base + 0.01 * (i % 17))
        for i in range(n)
    ]


def first_imports(now_ms: int) -> list[list[Span]]:
    """Each list is one message (the collector refuses overlaps within one)."""
    hour = now_ms - now_ms % city.HOUR
    m2, m1, m3 = (kst_month(now_ms, b) for b in (2, 1, 3))
    hh_b_daily = steps("electricity", "hh-b-electricity", m2 + 2 * DAY, DAY, 10, 11.0)
    return [
        steps("electricity", "hh-a-electricity", hour - 30 * city.HOUR, city.HOUR, 29, 0.6),
        [
            ("electricity", "hh-a-electricity-bill", m2 + 14 * DAY, m1 + 14 * DAY, 310.5),
            ("electricity", "zz-9-electricity", m1 + 3 * DAY, m1 + 4 * DAY, 7.25),
            ("electricity", "zz-9-electricity", m1 + 4 * DAY, m1 + 5 * DAY, 6.5),
            ("electricity", "zz-9-electricity", m1 + 5 * DAY, m1 + 6 * DAY, 8.0),
        ],
        hh_b_daily,
        # Finer data from 01:00 on the 5th for 40 h: overlaps the 5th's daily interval
        # (left out whole) and overwrites the 6th's (same start).
        steps(
            "electricity", "hh-b-electricity", m2 + 4 * DAY + city.HOUR, 15 * city.MINUTE, 160, 0.1
        ),
        [
            ("electricity", "hh-b-electricity-bill", m3 + 19 * DAY, m2 + 19 * DAY, 280.0),
            ("electricity", "hh-b-electricity-bill", m2 + 19 * DAY, m1 + 19 * DAY, 301.0),
            ("water", "hh-c-water-bill", m2 + 9 * DAY, m1 + 4 * DAY, 12.4),
        ],
        steps("gas", "hh-b-gas", m2 + 6 * DAY + 30 * city.MINUTE, city.HOUR, 30, 0.05),
    ]


def late_imports(now_ms: int) -> list[list[Span]]:
    m5, m4 = kst_month(now_ms, 5), kst_month(now_ms, 4)
    return [
        [("heat", "hh-c-heat-bill", m5 + 2 * DAY, m4 + 2 * DAY, 640.0)],
        steps("gas", "hh-a-gas", m4 + 9 * DAY, 15 * city.MINUTE, 96, 0.02),
    ]


FIELD = {
    "electricity": "energy_kwh",
    "gas": "volume_m3",
    "water": "volume_m3",
    "heat": "energy_kwh",
}


def message_lines(message: list[Span], arrived_ms: int) -> list[str]:
    """The lines the collector writes for one accepted message of the importer agent:
    each interval reading in `<utility>_interval`, then the message's marker."""
    tags = dict(zip(READING_TAGS, ("imp", "", *IMP, "good"), strict=True))
    spans, lines = [], []
    for i, (utility, meter, start, end, amount) in enumerate(message):
        r = IntervalReading.model_validate(
            {
                "meter": meter,
                "utility": utility,
                "interval": {"start": _iso(start), "end": _iso(end)},
                "values": {FIELD[utility]: amount},
            }
        )
        measurement, fields = span_fields(r)
        lines.append(line(measurement, {**tags, "meter": meter}, fields, start))
        spans.append((i, r))
    lines.append(arrival_line("imp", "imp-import", spans, arrived_ms / 1000))
    return lines


def write_imports(url: str, db: str, messages: list[list[Span]], arrived_ms: int) -> None:
    for n, message in enumerate(messages):
        city.write_lines(url, db, message_lines(message, arrived_ms + n), "ms")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()
