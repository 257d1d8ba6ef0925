"""One CLI voice: DESIGN.md's flags spelled alike, one way to stop on bad input.

Each option defaults to None: `Settings.from_cli` then falls back to the
environment, config/settings.yaml and the built-in default, in that order.

Every component runs as `python -m <component>` through `main()`, and every
refusal (a bad flag, a bad config) reads `<component>: message` on stderr with
exit code 2, so operators' scripts can tell bad input from a failed run (1).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol, TypeVar

import typer
from pydantic import ValidationError

try:  # typer 0.2x carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # older typer: click itself
    from click import UsageError

BAD_INPUT = 2


def fail(component: str, message: str, code: int = BAD_INPUT) -> NoReturn:
    """Stop with `<component>: message` on stderr (exit 2: bad input, unless told)."""
    print(f"{component}: {message}", file=sys.stderr, flush=True)
    raise typer.Exit(code)


S = TypeVar("S", covariant=True)


class FromCli(Protocol[S]):
    def from_cli(self, **flags: Any) -> S: ...


def settings_or_fail(component: str, settings: FromCli[S], **flags: Any) -> S:
    """`settings.from_cli(**flags)`; a bad value (flag, environment, file) stops in the one voice."""
    try:
        return settings.from_cli(**flags)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        fail(component, "invalid settings: " + "; ".join(_describe(e) for e in errors))
    except ValueError as exc:
        fail(component, f"invalid settings: {exc}")


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM or SIGINT sets: a long-running command's cue to wind down."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    return stop


def main(app: typer.Typer, component: str) -> NoReturn:
    """Run `python -m <component>`; a usage error (unknown flag, bad value) in the same voice."""
    try:
        code = app(prog_name=f"python -m {component}", standalone_mode=False)
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else f"python -m {component}"
        print(f"{component}: {exc.format_message()} (see {command} --help)", file=sys.stderr)
        sys.exit(BAD_INPUT)
    except typer.Abort:  # Ctrl-C at a prompt
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="sites file (env ENERGY_CONFIG; default config/sites/demo.yaml)"),
]
MqttUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--mqtt-url", help="mqtt://user:pass@host:port or mqtts://… (env ENERGY_MQTT_URL)"
    ),
]
InfluxUrlOpt = Annotated[
    str | None, typer.Option("--influx-url", help="InfluxDB base URL (env ENERGY_INFLUX_URL)")
]
InfluxTokenOpt = Annotated[
    str | None,
    typer.Option(
        "--influx-token",
        help="InfluxDB token (1.x: user:password); prefer env ENERGY_INFLUX_TOKEN",
    ),
]
InfluxOrgOpt = Annotated[
    str | None,
    typer.Option("--influx-org", help="organisation, ignored by 1.x (env ENERGY_INFLUX_ORG)"),
]
InfluxBucketOpt = Annotated[
    str | None,
    typer.Option(
        "--influx-bucket", help="raw readings bucket (env ENERGY_INFLUX_BUCKET; default energy)"
    ),
]
InfluxPublicBucketOpt = Annotated[
    str | None,
    typer.Option(
        "--influx-public-bucket",
        help="public aggregates bucket (env ENERGY_INFLUX_PUBLIC_BUCKET; default energy_public)",
    ),
]
AgentOpt = Annotated[
    str | None, typer.Option("--agent", help="which agent of the config this is (env ENERGY_AGENT)")
]
MqttCaOpt = Annotated[
    Path | None, typer.Option("--mqtt-ca", help="CA file for mqtts:// (env ENERGY_MQTT_CA)")
]
OutboxOpt = Annotated[
    Path | None, typer.Option("--outbox", help="outbox file (SQLite) (env ENERGY_OUTBOX)")
]
MetricsPortOpt = Annotated[
    int | None,
    typer.Option(
        "--metrics-port", help="Prometheus metrics port, 0 = off (env ENERGY_METRICS_PORT)"
    ),
]
HostOpt = Annotated[str | None, typer.Option("--host", help="bind address (env ENERGY_API_HOST)")]
PortOpt = Annotated[int | None, typer.Option("--port", help="bind port (env ENERGY_API_PORT)")]
