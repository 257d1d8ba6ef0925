from simulators.cli import app

app(prog_name="python -m simulators")
