"""Fixtures of phase 2's tests: the households' city over a real InfluxDB."""

from tests.phase2.household_city import homes  # noqa: F401 (fixture)
