from alerts.cli import COMPONENT, app
from telemetry.cli import main

main(app, COMPONENT)
