"""A post's chart reference: a public series, and its figures as they were when posted.

The reference names what the public routes can show (a group, a utility, a
period); the figures are taken from the public store by the caller and kept
with the post, so the discussion keeps its meaning when later data or a
re-run rollup changes them. Only public figures can be referenced: the
snapshot is the public series answer itself, withheld points included as
withheld (a status and a reason, never a number).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from civic.board.context import Refused, Why
from stores import public_data
from stores.figures import GroupRef, Series
from stores.influx import PublicStore
from stores.reference import Reference
from stores.timewin import ISO_TIME, Every, window
from telemetry.fields import Utility


class ChartRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str = Field(pattern=r"^(\d{5}|all)$", examples=["29200"])
    dong: str = Field(pattern=r"^(\d{10}|all)$", examples=["2920064000"])
    building_type: str = Field(default="all", pattern=r"^[a-z_]{1,32}$")
    utility: Utility
    every: Literal["hour", "day", "month"] = "day"
    start: str = Field(
        min_length=1, max_length=40, examples=["2026-10-01"], json_schema_extra=ISO_TIME
    )
    end: str = Field(
        min_length=1, max_length=40, examples=["2026-11-01"], json_schema_extra=ISO_TIME
    )

    @property
    def group(self) -> GroupRef:
        return GroupRef(district=self.district, dong=self.dong, building_type=self.building_type)

    def live_path(self) -> str:
        """Where the live figures are: the public series route with the same parameters."""
        if self.district == "all":
            base = "/v1/city/consumption"
        elif self.dong == "all":
            base = f"/v1/districts/{self.district}/consumption"
        else:
            base = f"/v1/districts/{self.district}/dongs/{self.dong}/consumption"
        query = f"utility={self.utility.value}&every={self.every}&start={self.start}&end={self.end}"
        if self.building_type != "all":
            query += f"&building_type={self.building_type}"
        return f"{base}?{query}"


def snapshot(ref: ChartRef, series: Series) -> dict[str, Any]:
    """The series to store with the post; refused unless it is this reference's public answer."""
    if series.group != ref.group or series.utility != ref.utility or series.every != ref.every:
        raise Refused(Why.CONFLICT, "the figures do not belong to the chart reference", "chart")
    if not any(p.status == "ok" for p in series.points):
        raise Refused(
            Why.CONFLICT,
            "this series has no public figure in the period (withheld or no data); "
            "choose a larger group or another period",
            "chart",
        )
    return series.model_dump(mode="json", exclude={"previous_period", "previous_year"})


def figures(ref: Reference, store: PublicStore, chart: ChartRef) -> dict[str, Any]:
    """The public series the chart refers to, as the public routes would show it now."""
    dong = ref.geo.dongs.get(chart.dong)
    if chart.district != "all" and chart.district not in ref.geo.districts:
        raise Refused(Why.CONFLICT, f"unknown district {chart.district}", "chart.district")
    if chart.dong != "all" and (dong is None or dong.district != chart.district):
        raise Refused(Why.CONFLICT, f"no dong {chart.dong} in {chart.district}", "chart.dong")
    # A chart keeps its `every`: a window too long for it is cut to its latest part.
    w = window(chart.start, chart.end, Every(chart.every), coarsen=False)
    return snapshot(chart, public_data.series(store, ref, chart.group, chart.utility, w))
