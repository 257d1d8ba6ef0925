from simulators.cli import COMPONENT, app
from telemetry.config.cli import main

main(app, COMPONENT)
