"""The map's boundaries file belongs to the same 96 dongs as config/geo/gwangju_dongs.csv."""

from __future__ import annotations

import csv
import json

from telemetry.paths import config_dir


def test_boundary_codes_match_the_dong_list_one_to_one() -> None:
    geo = json.loads((config_dir() / "geo/gwangju_dongs.geojson").read_text(encoding="utf-8"))
    with (config_dir() / "geo/gwangju_dongs.csv").open(encoding="utf-8") as handle:
        rows = {r["dong_code"]: r for r in csv.DictReader(handle)}
    codes = [f["properties"]["dong"] for f in geo["features"]]
    assert len(codes) == len(set(codes)) == 96
    assert set(codes) == set(rows)
    for f in geo["features"]:
        props, row = f["properties"], rows[f["properties"]["dong"]]
        assert (props["district"], props["name_ko"]) == (row["district_code"], row["dong_ko"])
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_boundaries_carry_the_attribution_their_licence_asks_for() -> None:
    geo = json.loads((config_dir() / "geo/gwangju_dongs.geojson").read_text(encoding="utf-8"))
    for name in ("Statistics Korea SGIS", "KOGL Type 1", "vuski/admdongkor", "CC BY 4.0"):
        assert name in geo["attribution"]
