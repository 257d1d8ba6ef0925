from edge_agent.cli import COMPONENT, app
from telemetry.cli import main

main(app, COMPONENT)
