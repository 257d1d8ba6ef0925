"""`python -m collector.rollup` (the same as `python -m collector rollup`)."""

from collector.rollup.cli import COMPONENT, app
from telemetry.config.cli import main

main(app, COMPONENT)
