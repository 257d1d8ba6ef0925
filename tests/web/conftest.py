"""The portal over the rolled-up test city of tests/api (real InfluxDB, real rollup)."""

from tests.api.conftest import api_city  # noqa: F401 (fixture)
from tests.rollup.conftest import rollup_influx  # noqa: F401 (fixture)
