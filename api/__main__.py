"""`python -m api`."""

from api.cli import COMPONENT, app
from telemetry.config.cli import main

main(app, COMPONENT)
