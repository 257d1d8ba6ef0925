"""Typer options for DESIGN.md's flag table, so every component spells them alike.

Each option defaults to None: `Settings.from_cli` then falls back to the
environment, config/settings.yaml and the built-in default, in that order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
