"""Nasty strings both ways through the real InfluxDB: written with the one
line-protocol writer, read back with the one set of InfluxQL quoting helpers."""

from __future__ import annotations

import httpx
import pytest

from devstack import InfluxServer
from telemetry.influxql import (
    InfluxQL,
    quote_ident,
    quote_literal,
    tag_eq,
    tag_in,
    tag_ne,
    time_window,
)
from telemetry.lineproto import line

# Each is written as a measurement, tag key, tag value, field key and string value.
NASTY = [
    'say "hi"',
    "it's",
    "back\\slash",
    "comma,here",
    "sp ace",
    "eq=uals",
    "=lead",
    "tab\there",
    "ctl\x01\x7f",
    "한국어 ü €",
    "😀",
]
# Refused as names and tags (InfluxDB would split the line or mis-read it);
# string fields take them spelled out.
UNWRITABLE = ["new\nline", "cr\rhere", "trail\\", "a\\,b", "a\\ b", "a\\=b"]
SPELLED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x01": "\\x01", "\x7f": "\\x7f"}


@pytest.fixture
def db(influx: InfluxServer, influx_db: str) -> tuple[InfluxServer, InfluxQL, str]:
    ql = InfluxQL(influx.url)
    yield influx, ql, influx_db
    ql.close()


def _write(influx: InfluxServer, db: str, lines: list[str]) -> None:
    # The collector's and the rollup's route: /api/v2/write, precision ms.
    r = httpx.post(
        f"{influx.url}/api/v2/write",
        params={"bucket": db, "precision": "ms"},
        content="\n".join(lines).encode(),
        timeout=10,
    )
    assert r.status_code == 204, r.text


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_names_and_tags_round_trip(db: tuple, text: str) -> None:
    influx, ql, name = db
    field = "f " + text  # a key cannot be both a tag and a field of one measurement
    _write(influx, name, [line(text, {text: text, "k": "v"}, {field: 1.5}, 1_000)])
    rows = ql.rows(
        f"SELECT {quote_ident(field)} FROM {quote_ident(text)} "
        f"WHERE {tag_eq(text, text)} AND {time_window(0, 2_000)} GROUP BY {quote_ident(text)}",
        name,
    )
    assert rows == [{text: text, "time": "1970-01-01T00:00:01Z", field: 1.5}]
    shown = ql.rows(
        f"SHOW TAG VALUES FROM {quote_ident(text)} WITH KEY = {quote_ident(text)}", name
    )
    assert [r["value"] for r in shown] == [text]
    assert ql.rows(f"SELECT * FROM {quote_ident(text)} WHERE {tag_ne(text, text)}", name) == []


# Regex metacharacters and the regex literal's own delimiter, as tag values.
REGEX_META = ["a.b", "a/b", "a|b", "(x)", "[c]", "^d$", "e*+?", "{2}", "s-1_x", "x\\y", "#`~"]


def test_tag_in_selects_exactly_the_named_values(db: tuple) -> None:
    influx, ql, name = db
    values = [v for v in NASTY if v.isprintable()] + REGEX_META
    decoys = ["ab", "a", "b", "x", "c", "d", "", "ee", "s-1_xx", "xy"]
    points = [line("m", {"t": v}, {"f": 1.0}, 1_000) for v in values + decoys if v]
    _write(influx, name, points)
    for chosen in (values, values[::3], REGEX_META[:1]):
        where = tag_in("t", chosen)
        assert where is not None
        rows = ql.rows(f"SELECT f FROM m WHERE {where} GROUP BY t", name)
        assert sorted(r["t"] for r in rows) == sorted(chosen)
    assert tag_in("t", ["ctl\x01"]) is None  # no safe spelling: callers use equalities


def test_string_fields_round_trip_with_control_characters_spelled_out(db: tuple) -> None:
    influx, ql, name = db
    values = [*NASTY, *UNWRITABLE, "\\", '"', "'", ""]
    _write(influx, name, [line("m", {"i": str(i)}, {"s": v}, 1_000) for i, v in enumerate(values)])
    for i, value in enumerate(values):
        stored = "".join(SPELLED.get(c, c) for c in value)
        rows = ql.rows(f"SELECT s FROM m WHERE {tag_eq('i', str(i))}", name)
        assert [r["s"] for r in rows] == [stored]
        # ...and found again by its value, quoted as a literal.
        rows = ql.rows(f"SELECT s, i FROM m WHERE s = {quote_literal(stored)}", name)
        assert [r["i"] for r in rows] == [str(i)]


@pytest.mark.parametrize("text", UNWRITABLE, ids=range(len(UNWRITABLE)))
def test_unwritable_names_and_tags_are_refused(text: str) -> None:
    for measurement, tags, fields in [
        (text, {}, {"f": 1.0}),
        ("m", {text: "v"}, {"f": 1.0}),
        ("m", {"t": text}, {"f": 1.0}),
        ("m", {}, {text: 1.0}),
    ]:
        with pytest.raises(ValueError, match="cannot be written"):
            line(measurement, tags, fields, 1)


def test_comment_measurement_and_non_finite_floats_are_refused() -> None:
    with pytest.raises(ValueError, match="'#'"):
        line("#m", {}, {"f": 1.0}, 1)
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="finite"):
            line("m", {}, {"f": bad}, 1)


def test_a_newline_in_a_literal_is_escaped_not_a_parse_error(db: tuple) -> None:
    influx, ql, name = db
    _write(influx, name, [line("m", {"t": "v"}, {"f": 1.0}, 1_000)])
    assert ql.rows(f"SELECT f FROM m WHERE {tag_eq('t', 'a' + chr(10) + 'b')}", name) == []
    assert ql.rows(f"SELECT {quote_ident('no' + chr(10) + 'such')} FROM m", name) == []
