"""The InfluxDB schema: measurements, tags and fields every stage agrees on.

Writers (collector, rollups) and readers (api, dashboards) import these names
instead of spelling them, so a rename cannot break one side silently.

Raw bucket (`energy`, private):

| measurement     | tags                                                   | fields |
|-----------------|--------------------------------------------------------|--------|
| `<utility>`     | site, meter, district, dong, building_type, quality     | canonical fields (floats) |
| `agent_status`  | site, agent                                            | state (string), online (0/1), meters, meters_failing (count), failing (comma list), outbox_depth, outbox_oldest_age_s, dropped_batches, last_error |
| `rejected`      | reason                                                 | topic, detail, payload (truncated), count=1 |
| `collector_stats` | instance                                             | messages, readings, rejected, written, seq_gaps, seq_duplicates, lag_p50_s, lag_p99_s (counters since start, written every few seconds) |
| `<utility>_interval` | site, meter, district, dong, building_type, quality | an `energy.readings.v2` interval reading: the utility's counter field names as amounts used in the period (e.g. `energy_kwh`, `energy_export_kwh`, `volume_m3`), `duration_s`; timestamp = interval start, so a re-import overwrites itself |
| `utility_cost`  | site, meter, utility, district, dong, building_type, quality | a v2 cost reading: `cost_krw`, `duration_s`; timestamp = interval start (costs are never stored with quantities) |
| `interval_arrivals` | site, agent                                        | start_ms, end_ms (the span of the interval and cost readings one accepted message carried), readings; timestamp = arrival (ms): late history that rollups must revisit |
| `alert_events`  | rule, severity, site, originator, event (`firing`, `resolved`, `acknowledged`) | state, value (written by `python -m alerts` at each state change, for boards' tables and annotations) |
| `arrivals`      | instance                                               | site (string), t0_ms, t1_ms (oldest and newest reading time), readings: one point per site per stored write batch, timestamped (ns, unique per collector) when the readings were stored; the rollup's arrival order |
| `handed_readings` | instance                                     | stored (string: the good readings of the `arrivals` point with the same instance and time, per utility and meter `[time ms, counter, rate]`, handed to the rollup; no point when not all were stored, or too many); retention policy `handed` (`HANDED_RP`), kept two days |

Rollups (written by `python -m collector rollup` to `energy`; the groups that
pass the privacy rule also to `energy_public`). A group is a combination of
district × dong × building_type where any of the three may be `all`
(`GROUP_ALL`): (all, all, all) is the city, (29200, all, all) a district,
(29200, 2920064000, all) a dong, (all, all, apartment) a building type across
the city, and so on. Readers pick a level by exact tag equality.

| measurement      | tags                                              | fields |
|------------------|---------------------------------------------------|--------|
| `live_1m`        | utility, district, dong, building_type            | rate (kW or m³/h, sum of the rate field), meters, sites, households |
| `consumption_1h` | utility, district, dong, building_type            | consumption (kWh or m³), co2e_kg, meters, sites, households |
| `consumption_1d` | same as 1h                                        | same as 1h |
| `meter_consumption_1h` | site, meter, utility, district, dong, building_type | consumption, resets, glitches, spikes (readings the counter rule of `telemetry/counters.py` settled as such in the period), pending (suspect readings not settled yet) (private bucket only) |
| `meter_consumption_1d` | same                                        | consumption, resets, glitches, spikes |
| `meter_consumption_1h`, `meter_consumption_1d` of imported intervals | same + source (`interval`, `bill`) | consumption (the interval readings that lie within the hour / KST day); counter meters' points carry no `source` tag |
| `meter_consumption_1mo` | site, meter, utility, district, dong, building_type, source (`meter`: counter-derived, the sum of its KST days; `interval`; `bill`) | consumption (float, canonical unit), apportioned (int 0/1: part of the figure comes from a period apportioned across months); timestamp = KST month start (private bucket only) |
| `consumption_1mo` | same as consumption_1d                       | consumption, co2e_kg, meters, sites, households, apportioned (meters whose figure was apportioned) |
| `counter_events` | site, meter, utility, field                       | kind (string: `glitch`, `spike`, `reset`, `rollover`), value (the reading), previous (the accepted level before it), amount (what it added to consumption) (private bucket only; one point per event at the reading's timestamp, so a later pass that settles it otherwise overwrites it) |
| `suppressed`     | measurement, utility, district, dong, building_type | holders (how many households/sites), k, complementary (1 = withheld so that a smaller neighbour cannot be derived by subtraction) (private bucket only: what was held back and why; live_1m's per hour) |
| `withheld`       | measurement, utility, district, dong, building_type | reason (string: `complementary`; `published` once a later pass published the group after all) (public bucket only: a marker, no figures, for a group that passes the privacy rule but is withheld so that a smaller group cannot be derived by subtraction; `measurement` = the rollup it stands for, same timestamp as that rollup's point; where the rollup's point exists too, the point wins) |
| `rollup_watermark` | job                                             | until_ms (job `rollup`: end of the last completed rollup window; job `arrivals`: the arrival time up to which stored readings were rolled up; private bucket only) |

Retention (docs/DECISIONS.md "Storage that lasts"): raw readings and the
collector's and agents' own points stay in the raw database's default
retention policy, kept `raw_retention_days` (1.x `autogen`; 2.x the `energy`
bucket's RAW_RETENTION). The private rollups the raw data are downsampled
into (`ROLLUP_MEASUREMENTS`: meter and group consumption per hour, day and
month, counter_events, suppressed, rollup_watermark) are written to the
retention policy `rollups` of the same database (`ROLLUP_RP`, kept
`rollup_retention_days`, forever by default; 2.x: the bucket
`energy/rollups` with a DBRP mapping db `energy`, rp `rollups`), so they
outlive the raw data. InfluxQL readers name them with `rollup_from()`.
`live_1m`, `alert_events` (a view of the platform database's alert record)
and the public bucket stay where they are.

Imported history (`IMPORTED_MEASUREMENTS`: `<utility>_interval` and
`utility_cost`, the v2 interval and cost readings an importer publishes) is
written to the retention policy `imported` (`IMPORTED_RP`; 2.x: the bucket
`energy/imported`), kept as long as the rollups: a utility's download or a
household's bills reach years back, and a programme's baseline needs exactly
those months, so they must not expire with the raw readings. `rollup_from()`
names that policy for them too. Counter readings (metered, and imported
registers) stay in the raw policy.

The readings an arrival marker hands the rollup (`handed_readings`) are
written to the retention policy `handed` (`HANDED_RP`, kept
`HANDED_RETENTION`, two days; 2.x: the bucket `energy/handed`): the rollup
needs them only until it took them, and a marker older than that is served
from the raw readings.

Timestamps are the start of the period: live_1m per UTC minute, *_1h per
hour, *_1d per Korean (KST, UTC+9) day, i.e. at 15:00 UTC, *_1mo per KST
month (`telemetry/months.py`). An imported meter's points carry the site it
was stored under (the importer's) and the district, dong and building type
of its household.

Sources in the group rollups (no figure counted twice): per site, utility
and period, a site's own metered counters when it has any; otherwise per
household its imported intervals (Green Button), else its bills
(collector/rollup/README.md). A dong-level group
always carries its district: (all, <dong>, x) is never written.

With any site of the registry flagged `simulated` (the demos' sites, the
fleet's), every group point also carries `simulated_sites`: how many of its
holders are simulated sites, or households whose readings a simulated site's
importer stored (0 included, so a rewritten point never keeps an old count);
a registry of real sites only writes no such field.

`households` counts the households behind a group's sites (a site without a
household count, e.g. an industrial complex, counts as 0 households and 1
site). The privacy rule: a group is public when households >= k or, for
groups without households, sites >= k.
"""

from __future__ import annotations

from collections.abc import Iterable

# Raw readings
TAG_SITE = "site"
TAG_METER = "meter"
TAG_AGENT = "agent"
TAG_DISTRICT = "district"
TAG_DONG = "dong"
TAG_BUILDING_TYPE = "building_type"
TAG_QUALITY = "quality"
TAG_UTILITY = "utility"
TAG_REASON = "reason"
TAG_INSTANCE = "instance"

READING_TAGS = (TAG_SITE, TAG_METER, TAG_DISTRICT, TAG_DONG, TAG_BUILDING_TYPE, TAG_QUALITY)

AGENT_STATUS = "agent_status"

# Interval consumption and cost (energy.readings.v2)
INTERVAL_SUFFIX = "_interval"
FIELD_DURATION_S = "duration_s"
UTILITY_COST = "utility_cost"
FIELD_COST_KRW = "cost_krw"
INTERVAL_ARRIVALS = "interval_arrivals"


def interval_measurement(utility: str) -> str:
    """Where a utility's interval readings are stored: `electricity_interval`, ..."""
    return utility + INTERVAL_SUFFIX


REJECTED = "rejected"
COLLECTOR_STATS = "collector_stats"
# Per agent (tags instance, site, agent; reason on rejected counts): increments, not
# counters since start (collector/agent_stats.py).
COLLECTOR_AGENT_STATS = "collector_agent_stats"
ALERT_EVENTS = "alert_events"
# `counter_events` (below) is written by the rollups and read by alerts; its `kind` is a field.
TAG_KIND = "kind"
TAG_RULE = "rule"
TAG_SEVERITY = "severity"
TAG_EVENT = "event"
TAG_ORIGINATOR = "originator"
ARRIVALS = "arrivals"
HANDED = "handed_readings"

# Rollups
GROUP_ALL = "all"
GROUP_TAGS = (TAG_UTILITY, TAG_DISTRICT, TAG_DONG, TAG_BUILDING_TYPE)
LIVE_1M = "live_1m"
CONSUMPTION_1H = "consumption_1h"
CONSUMPTION_1D = "consumption_1d"
METER_CONSUMPTION_1H = "meter_consumption_1h"
METER_CONSUMPTION_1D = "meter_consumption_1d"
CONSUMPTION_1MO = "consumption_1mo"
METER_CONSUMPTION_1MO = "meter_consumption_1mo"
TAG_SOURCE = "source"
SOURCE_METER = "meter"  # counter-derived
SOURCE_INTERVAL = "interval"  # imported interval readings (Green Button and the like)
SOURCE_BILL = "bill"  # a bill's period (meter id `<household>-<utility>-bill`)
BILL_METER_SUFFIX = "-bill"
# A Green Button register (bulk reading) is `<household>-<utility>[-N]-reg`, apart from the
# same usage point's deltas `<household>-<utility>[-N]`: both count as source `interval`,
# the deltas winning wherever both are (superseded_registers).
REGISTER_METER_SUFFIX = "-reg"
FIELD_APPORTIONED = "apportioned"
# A group's figures changed after they were published (history imported late, late
# readings re-settled): when (ms) on the new figures, or beside the published ones when
# the new figures are withheld (issue 24, "Revisions").
FIELD_REVISED = "revised_ms"
FIELD_REVISION_WITHHELD = "revision_withheld_ms"
# Private group points only: the decision a revision is protected with (the holders,
# the largest contributions top1..top3, `published` or the reason it was withheld, when,
# under which registry and rules).
FIELD_HOLDERS = "holders"
FIELD_TOP = "top"
FIELD_DISCLOSURE = "disclosure"
FIELD_DECIDED = "decided_ms"
FIELD_BASIS = "basis"  # the rollup's fingerprint (registry, rules, factors) when decided
DISCLOSURE_PUBLISHED = "published"
SUPPRESSED = "suppressed"
WITHHELD = "withheld"
WITHHELD_COMPLEMENTARY = "complementary"  # to protect another group (secondary)
WITHHELD_DOMINATED = "dominated"  # one holder dominates the group (issue 24)
WITHHELD_ACTIVE = (WITHHELD_COMPLEMENTARY, WITHHELD_DOMINATED)  # markers that stand
WITHHELD_PUBLISHED = "published"
TAG_MEASUREMENT = "measurement"
# Group rollups of a registry with simulated sites: how many of a figure's holders are
# simulated (a site flagged `simulated`, or a household whose readings one imported).
FIELD_SIMULATED_SITES = "simulated_sites"
ROLLUP_WATERMARK = "rollup_watermark"
TAG_JOB = "job"
JOB_ROLLUP = "rollup"
JOB_ARRIVALS = "arrivals"
# Rollup workers (collector/rollup/partition.py): each owns a partition of the city's
# districts, keeps its cursors tagged with it and writes its finest group cells, which
# the merge adds up and decides as one city.
TAG_PARTITION = "partition"
JOB_PASS = "pass"  # a worker's completed pass: when, and the periods it touched
JOB_MERGE = "merge"  # the merge's cursor per partition
PARTITION_CELLS = "rollup_partition_cells"  # hours, days, months: kept as the rollups
PARTITION_LIVE_CELLS = "live_partition_cells"  # live minutes: kept as live_1m, with raw data
COUNTER_EVENTS = "counter_events"
TAG_FIELD = "field"

DEFAULT_PRIVACY_K = 5

# Retention: the private rollups live in their own retention policy of the raw
# database, kept longer than the raw readings they summarise.
ROLLUP_RP = "rollups"
ROLLUP_MEASUREMENTS = frozenset(
    {
        METER_CONSUMPTION_1H,
        METER_CONSUMPTION_1D,
        METER_CONSUMPTION_1MO,
        CONSUMPTION_1H,
        CONSUMPTION_1D,
        CONSUMPTION_1MO,
        COUNTER_EVENTS,
        SUPPRESSED,
        ROLLUP_WATERMARK,
        PARTITION_CELLS,
    }
)


# The readings an arrival marker hands the rollup (collector/arrivals.py) are needed
# only until the rollup took them: a short policy of their own, so that they cost
# the raw retention nothing (they would add half again to the raw readings' disk).
HANDED_RP = "handed"
HANDED_RETENTION = "2d"  # InfluxQL duration; older markers are read from the store


def handed_bucket(raw_bucket: str) -> str:
    """Where the handed readings are written: `<raw>/handed` (as `rollup_bucket`)."""
    return f"{raw_bucket}/{HANDED_RP}"


def kept_as_handed(point: str) -> bool:
    """Whether a line-protocol point belongs in the handed readings' policy."""
    return point_measurement(point) == HANDED


# Imported history (v2 interval and cost readings) lives in a policy of its own,
# kept as long as the rollups: it is old by nature and must not expire with raw.
IMPORTED_RP = "imported"


def is_imported(measurement: str) -> bool:
    """Whether `measurement` holds imported history (`<utility>_interval`, `utility_cost`)."""
    return measurement.endswith(INTERVAL_SUFFIX) or measurement == UTILITY_COST


def policy_of(measurement: str) -> str | None:
    """The retention policy a private measurement is kept in; None: the default policy."""
    if measurement in ROLLUP_MEASUREMENTS:
        return ROLLUP_RP
    if is_imported(measurement):
        return IMPORTED_RP
    if measurement == HANDED:
        return HANDED_RP
    return None


def rollup_from(measurement: str) -> str:
    """The InfluxQL FROM of a private measurement: `"rollups"."<m>"` for a rollup,
    `"imported"."<m>"` for imported history, else `"<m>"`.

    Only for the raw (private) database: the public bucket has one policy, and
    its rollups are read unqualified.
    """
    # Quoted as telemetry.influxql.quote_ident does (not imported: this module has no deps).
    quoted = '"' + measurement.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    policy = policy_of(measurement)
    return quoted if policy is None else f'"{policy}".{quoted}'


def rollup_bucket(raw_bucket: str) -> str:
    """Where the private rollups are written: `<raw>/rollups`.

    The same name works everywhere: InfluxDB 1.8+ maps a v2 write to bucket
    `db/rp` onto that retention policy (devstack's nginx does so for 1.6), and
    2.x names the rollup bucket so (as `influxd upgrade` names 1.x policies).
    """
    return f"{raw_bucket}/{ROLLUP_RP}"


def imported_bucket(raw_bucket: str) -> str:
    """Where imported history is written: `<raw>/imported` (as `rollup_bucket`)."""
    return f"{raw_bucket}/{IMPORTED_RP}"


def point_measurement(point: str) -> str:
    """The measurement of a line-protocol point (names here carry no escapes)."""
    end = point.find(",")
    space = point.find(" ")
    if end < 0 or (0 <= space < end):
        end = space
    return point[:end]


def kept_as_rollup(point: str) -> bool:
    """Whether a line-protocol point belongs in the rollups' retention policy."""
    return point_measurement(point) in ROLLUP_MEASUREMENTS


def kept_as_imported(point: str) -> bool:
    """Whether a line-protocol point belongs in the imported history's retention policy."""
    return is_imported(point_measurement(point))


def superseded_registers(meters: Iterable[str]) -> set[str]:
    """The register meters among `meters` (one household's imports in one period) whose
    usage point's deltas are there too: the finest wins, the register is not added."""
    present = set(meters)
    return {
        m
        for m in present
        if m.endswith(REGISTER_METER_SUFFIX) and m.removesuffix(REGISTER_METER_SUFFIX) in present
    }


def partition_cells_of(measurement: str) -> str:
    """Where rollup workers keep their cells of `measurement` (collector/rollup/partition.py):
    live minutes' with the raw data (as live_1m), the others' with the rollups."""
    return PARTITION_LIVE_CELLS if measurement == LIVE_1M else PARTITION_CELLS
