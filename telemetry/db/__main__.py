"""`python -m telemetry.db`: migrate the platform database (upgrade, downgrade, current)."""

from telemetry.db.cli import app

app(prog_name="python -m telemetry.db")
