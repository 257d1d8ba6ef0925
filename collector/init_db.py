"""`python -m collector init`: the databases on InfluxDB 1.x (idempotent)."""

from __future__ import annotations

from telemetry.influxql import InfluxQL, quote_ident


def create_databases(url: str, token: str, names: list[str]) -> None:
    """CREATE DATABASE is a no-op for a database that exists, so this can run on every deploy."""
    client = InfluxQL(url, token)
    try:
        for name in names:
            client.query(f"CREATE DATABASE {quote_ident(name)}", db=name)
    finally:
        client.close()
