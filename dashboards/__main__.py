"""`python -m dashboards`: build, check and push the Grafana boards."""

from dashboards.cli import app

app(prog_name="python -m dashboards")
