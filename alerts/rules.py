"""The rules file (config/alerts.yaml): rules, delivery targets and policies.

Every mapping is strict (unknown keys refused), so a misspelt `pendng:` is an
error with its line, never a rule that silently fires at once.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from alerts.duration import Duration
from telemetry.config.strict import FrozenStrictModel
from telemetry.fields import Utility
from telemetry.ids import Identifier

LabelName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,63}$")]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, KST")]
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"


class NoData(StrEnum):
    """What a pass without data means for a rule: said per rule, never guessed."""

    ALERT = "alert"
    OK = "ok"
    KEEP_STATE = "keep_state"


class Scope(FrozenStrictModel):
    """One of meter (with its site), site, dong; none of them means every meter."""

    site: Identifier | None = None
    meter: Identifier | None = None
    dong: str | None = Field(default=None, pattern=r"^\d{10}$")

    @model_validator(mode="after")
    def _one_level(self) -> Scope:
        if self.meter and not self.site:
            raise ValueError("a meter scope names its site too (meter ids are per site)")
        if self.dong and (self.site or self.meter):
            raise ValueError("scope is a meter, a site or a dong, not several")
        return self

    @property
    def everything(self) -> bool:
        return not (self.site or self.meter or self.dong)


def _all_is_empty(value: object) -> object:
    return {} if value == "all" else value


class RuleBase(FrozenStrictModel):
    # True where a pass lists only originators with something to report: an
    # open alert that a pass does not see any more is cleared.
    absent_is_clear: ClassVar[bool] = False

    id: Identifier
    description: str | None = None
    severity: Severity
    scope: Annotated[Scope, BeforeValidator(_all_is_empty)] = Field(default_factory=Scope)
    pending: Duration = 0.0
    keep_firing: Duration = 0.0
    nodata: NoData
    labels: dict[LabelName, str] = Field(default_factory=dict)


class StaleRule(RuleBase):
    """No reading for `factor` × the meter's poll interval."""

    kind: Literal["stale"]
    factor: float = Field(default=3.0, ge=1, le=1000)
    utility: Utility | None = None


class AgentOfflineRule(RuleBase):
    """The agent said `offline` (or its last will did), or no status for `silent_for`."""

    kind: Literal["agent_offline"]
    silent_for: Duration = 180.0


class LimitRule(RuleBase):
    """Fires above `above` (or below `below`); clears past `clear` (hysteresis)."""

    above: float | None = None
    below: float | None = None
    clear: float | None = None

    @model_validator(mode="after")
    def _one_direction(self) -> LimitRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        if self.clear is not None:
            if self.above is not None and self.clear > self.above:
                raise ValueError("clear must not be above `above` (it is the way back)")
            if self.below is not None and self.clear < self.below:
                raise ValueError("clear must not be below `below` (it is the way back)")
        return self

    def breaches(self, value: float) -> bool:
        return value > self.above if self.above is not None else value < self.below  # type: ignore[operator]

    def clears(self, value: float) -> bool:
        limit = self.above if self.above is not None else self.below
        back = limit if self.clear is None else self.clear
        return value <= back if self.above is not None else value >= back  # type: ignore[operator]


class ThresholdRule(LimitRule):
    """The mean of a rate field over `window`, against a limit, for the pending period."""

    kind: Literal["threshold"]
    utility: Utility
    field: str | None = Field(default=None, description="default: the utility's rate field")
    window: Duration = 300.0


class LeakRule(LimitRule):
    """The minimum flow of a night (default 02:00–05:00 KST, may cross midnight) above a limit."""

    kind: Literal["leak"]
    utility: Literal[Utility.WATER, Utility.HEAT] = Utility.WATER
    field: str = "flow_m3h"
    night_start: ClockTime = "02:00"
    night_end: ClockTime = "05:00"

    @property
    def night_minutes(self) -> tuple[int, int]:
        """(end, length) of the night window in minutes after KST midnight."""
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (self.night_start, self.night_end))
        return end, (end - start) % 1440


class DataQualityRule(LimitRule):
    """The share (0–1) of `bad` readings over `window`."""

    kind: Literal["data_quality"]
    utility: Utility | None = None
    window: Duration = 3600.0


class SpikeRule(RuleBase):
    """The last complete hour's consumption above median + k × MAD of the same hour
    of the week over the last `weeks` weeks (rollups' meter_consumption_1h)."""

    kind: Literal["spike"]
    utility: Utility
    k: float = Field(default=3.0, gt=0, le=100)
    weeks: int = Field(default=4, ge=2, le=12)
    min_weeks: int = Field(default=3, ge=2, le=12, description="history needed before it fires")
    min_excess: float = Field(default=0.0, ge=0, description="never a spike below median + this")
    settle: Duration = Field(default=600.0, description="wait after the hour for the rollup")

    @model_validator(mode="after")
    def _enough_weeks(self) -> SpikeRule:
        if self.min_weeks > self.weeks:
            raise ValueError("min_weeks cannot exceed weeks")
        return self


class SolarDarkRule(RuleBase):
    """No production (power at most `at_most` kW) for `window` while the sun is up in Gwangju."""

    kind: Literal["solar_dark"]
    at_most: float = Field(default=0.0, ge=0)
    window: Duration = 1800.0
    min_elevation: float = Field(default=20.0, ge=0, le=80, description="sun above this (°)")


class CounterEventRule(RuleBase):
    """Counter events settled by the data-quality rule (glitch, spike, reset, rollover)."""

    absent_is_clear: ClassVar[bool] = True

    kind: Literal["counter_events"]
    events: list[Literal["glitch", "spike", "reset", "rollover"]] = Field(
        default_factory=lambda: ["glitch", "spike", "reset", "rollover"], min_length=1
    )
    utility: Utility | None = None
    window: Duration = 3600.0


Rule = Annotated[
    StaleRule
    | AgentOfflineRule
    | ThresholdRule
    | LeakRule
    | DataQualityRule
    | SpikeRule
    | SolarDarkRule
    | CounterEventRule,
    Field(discriminator="kind"),
]
RULE_KINDS = (
    "stale",
    "agent_offline",
    "threshold",
    "leak",
    "data_quality",
    "spike",
    "solar_dark",
    "counter_events",
)


class WebhookTarget(FrozenStrictModel):
    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str = Field(description="environment variable holding the HMAC key")
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class EmailTarget(FrozenStrictModel):
    kind: Literal["email"]
    to: list[str] = Field(min_length=1)
    sender: str
    smtp_host: str
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    timeout_s: float = Field(default=10.0, gt=0, le=120)


Target = Annotated[WebhookTarget | EmailTarget, Field(discriminator="kind")]


class Policy(FrozenStrictModel):
    """Alerts whose labels match every matcher and whose severity is listed go to `targets`.

    With `group_by`, notifications of one group (same values of those labels)
    leave together: the first waits `group_wait` for others to join, later
    ones at least `group_interval` after the group's last message (a digest;
    `group_by: [site]` is a digest per site). `repeat` re-announces an alert
    still active and unacknowledged that often.
    """

    match: dict[LabelName, str] = Field(default_factory=dict)
    severities: list[Severity] = Field(default_factory=lambda: list(Severity))
    targets: list[Identifier] = Field(min_length=1)
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[LabelName] = Field(default_factory=list)
    group_wait: Duration = 0.0
    group_interval: Duration = 0.0
    repeat: Duration | None = None


class Delivery(FrozenStrictModel):
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff: Duration = 2.0
    max_backoff: Duration = 600.0


class RulesFile(FrozenStrictModel):
    rules: list[Rule] = Field(default_factory=list)
    targets: dict[Identifier, Target] = Field(default_factory=dict)
    policies: list[Policy] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)
