"""`python -m dashboards`: build, check and push the Grafana boards."""

from dashboards.cli import COMPONENT, app
from telemetry.config.cli import main

main(app, COMPONENT)
