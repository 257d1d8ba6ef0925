"""`python -m collector.rollup` (the same as `python -m collector rollup`)."""

from collector.rollup.cli import app

app(prog_name="collector rollup")
