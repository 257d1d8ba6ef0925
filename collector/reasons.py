"""Why a message was turned away (the `reason` tag of the rejected store)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    OVERSIZE = "oversize"
    BAD_TOPIC = "bad_topic"
    BAD_JSON = "bad_json"
    SCHEMA = "schema"
    BAD_METER_ID = "bad_meter_id"
    TOPIC_MISMATCH = "topic_mismatch"
    UNKNOWN_SITE = "unknown_site"
    UNKNOWN_AGENT = "unknown_agent"
    TS_FUTURE = "ts_future"
    TS_TOO_OLD = "ts_too_old"
    # A v2 interval that ends before it starts, is too long, or overlaps another
    # of the same meter in the message (JSON Schema cannot compare two times).
    BAD_INTERVAL = "bad_interval"
    # New meter ids past the site's limit (registry expected_meters + meter_margin).
    UNKNOWN_METER_LIMIT = "unknown_meter_limit"
    # InfluxDB refused the line for good (400: field type conflict, parse error).
    INFLUX_REJECTED = "influx_rejected"
    # InfluxDB dropped the point as older than the retention policy (a partial write).
    BEYOND_RETENTION = "beyond_retention"
