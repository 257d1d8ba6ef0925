"""`python -m api`."""

from api.cli import app

app(prog_name="api")
