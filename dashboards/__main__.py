"""`python -m dashboards`: build, check and push the Grafana boards."""

from dashboards.cli import COMPONENT, app
from telemetry.cli import main

main(app, COMPONENT)
