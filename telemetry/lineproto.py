"""InfluxDB line protocol, escaped by the rules of each element: the one writer
of every point (collector readings, status, stats, rejected messages; rollups).

Measurement: escape comma and space. Tag keys, tag values, field keys: escape
comma, equals sign and space. String field values: escape backslash and double
quote; line breaks and other control characters are spelled out, because a raw
newline would end the line. Non-finite floats are refused (InfluxDB stores finite
numbers only): a writer that lets one through gets its whole batch refused.

Formatted directly rather than with influxdb-client's Point, which costs ~50 µs
a point: a city-sized rollup pass writes hundreds of thousands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache

from telemetry.fields import FIELDS

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {0x7F: "\\x7f"}
_CONTROL |= {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_STRING = str.maketrans({"\\": "\\\\", '"': '\\"'})
_CONTROL_TABLE = str.maketrans(_CONTROL)


def escape_measurement(name: str) -> str:
    if name.startswith("#"):  # a line opening with '#' is a comment: dropped unseen
        raise ValueError(f"{name!r}: a measurement cannot begin with '#'")
    return _unbroken(name).translate(_MEASUREMENT)


def escape_key(key: str) -> str:
    """Tag keys, tag values and field keys."""
    return _unbroken(key).translate(_KEY)


# Line breaks cannot be escaped outside string fields, and a backslash before a
# separator (or at the end) escapes the separator: InfluxDB then splits or
# refuses the line. Names and tags come from code and the registry, never from
# the wire, so such text is refused rather than guessed at.
_UNWRITABLE = re.compile(r"[\n\r]|\\(?=[, =]|\Z)")


def _unbroken(name: str) -> str:
    if ("\\" in name or "\n" in name or "\r" in name) and _UNWRITABLE.search(name):
        raise ValueError(
            f"{name!r}: a line break, or a backslash before a comma, space, "
            "'=' or the end, cannot be written as a name or tag"
        )
    return name


def escape_string(value: str) -> str:
    """A string field value, quotes included."""
    # Lone surrogates (legal in JSON text) cannot be encoded as UTF-8: spell them out.
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return '"' + value.translate(_STRING).translate(_CONTROL_TABLE) + '"'


def format_float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value} cannot be stored: InfluxDB takes finite numbers only")
    return repr(float(value))


FieldValue = float | int | str | bool


def format_field(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return format_float(value)
    return escape_string(value)


def series(measurement: str, tags: Mapping[str, str]) -> str:
    """Measurement and tags, escaped; tags sorted (InfluxDB's preferred order), empty ones left out."""
    return escape_measurement(measurement) + tag_set(tags)


def tag_set(tags: Mapping[str, str]) -> str:
    """`,k=v,…` escaped and sorted: what follows the measurement in a series key."""
    return "".join(tag(k, v) for k, v in sorted(tags.items()))


def tag(key: str, value: str) -> str:
    """One `,k=v` of a tag set, escaped; nothing for an empty value. Joined in key
    order, these are `tag_set` (a caller may keep parts it repeats)."""
    return f",{escape_key(key)}={escape_key(value)}" if value != "" else ""


def point(series_key: str, fields: Mapping[str, FieldValue], ts: int) -> str:
    """One line from an already escaped `series(...)`."""
    if not fields:
        raise ValueError(f"{series_key}: a point needs at least one field")
    field_part = ",".join(f"{_field_key(k)}={format_field(v)}" for k, v in fields.items())
    return f"{series_key} {field_part} {ts}"


def float_point(series_key: str, fields: Mapping[str, float], ts: int) -> str:
    """The hot path: fields known finite floats (the reading model checks that)."""
    # Keys are canonical field names (the model refuses others), which need no
    # escaping: checked at import below.
    return series_key + " " + ",".join([f"{k}={v!r}" for k, v in fields.items()]) + f" {ts}"


def line(
    measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], ts: int
) -> str:
    """One point (timestamp in the write's precision)."""
    return point(_series(measurement, tuple(sorted(tags.items()))), fields, ts)


@lru_cache(maxsize=65_536)
def _series(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    # A rollup pass writes many points per series: escape each series once.
    return series(measurement, dict(tags))


_SAFE_KEY = re.compile(r"^[a-z0-9_]+$")
if not all(_SAFE_KEY.match(n) for names in FIELDS.values() for n in names):
    raise RuntimeError("a canonical field name needs escaping: float_point must escape keys")

_FIELD_KEYS: dict[str, str] = {}


def _field_key(key: str) -> str:
    escaped = _FIELD_KEYS.get(key)
    if escaped is None:
        escaped = escape_key(key)
        if len(_FIELD_KEYS) < 10_000:  # canonical names are few; never grow without bound
            _FIELD_KEYS[key] = escaped
    return escaped
