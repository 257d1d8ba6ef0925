"""The API app over a real platform database (SQLite and PostgreSQL) holding alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from api.app import Parts, create_app
from api.auth import Secrets
from api.settings import ApiConfig
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.alert_events import AlertEventLog
from telemetry.db.tables import alerts
from telemetry.emissions import load_emission_factors
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography
from tests.db.conftest import db_url, engine  # noqa: F401 (fixtures)

ADMIN = "alerts-admin-token"
SITE_TOKENS = {"apt": "apt-manager-token", "ind-1": "ind-1-manager-token"}
T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # 03:00 KST


def make_app(db: Engine | None, alert_events: AlertEventLog | None = None) -> FastAPI:
    """The real app; the alert routes never read the time series (they may write events)."""
    unused = InfluxQL("http://127.0.0.1:9")
    return create_app(
        Parts(
            public_store=PublicStore(unused, "energy_public"),
            private_store=PrivateStore(unused, "energy"),
            reference=Reference(load_geography(), None, 5),
            config=ApiConfig(),
            secrets=Secrets(ADMIN, dict(SITE_TOKENS), "signing-key-unused"),
            factors=load_emission_factors(),
            db=db,
            alert_events=alert_events,
        )
    )


def add_alert(db: Engine, rule: str, originator: str, site: str | None, **more: Any) -> int:
    """One row as `python -m alerts` writes it (state NULL: pending, never fired)."""
    fired = more.pop("fired_at", T0)
    values: dict[str, Any] = {
        "rule": rule,
        "originator": originator,
        "site": site,
        "severity": "major",
        "state": "active_unacked",
        "fired_at": fired,
        "last_breach_at": fired,
        "last_value": 0.4,
        "labels": {"rule": rule, "site": site or "", "severity": more.get("severity", "major")},
        "updated_at": fired or T0,
        "version": 1,
    } | more
    with db.begin() as conn:
        return conn.execute(insert(alerts).values(**values)).inserted_primary_key[0]


@pytest.fixture
def stocked(engine: Engine) -> dict[str, int]:  # noqa: F811 (the fixture above)
    """Alerts of two sites and one agent, in every state, plus one never fired."""
    return {
        "apt_leak": add_alert(
            engine, "water-leak", "meter:apt/b1-water", "apt", severity="critical"
        ),
        "apt_stale": add_alert(
            engine,
            "stale",
            "meter:apt/b1-elec",
            "apt",
            state="cleared_unacked",
            cleared_at=T0 + timedelta(hours=1),
            fired_at=T0 - timedelta(hours=1),
        ),
        "ind_stale": add_alert(engine, "stale", "meter:ind-1/main-elec", "ind-1", severity="minor"),
        "agent": add_alert(engine, "agent-offline", "agent:edge-7", None, severity="critical"),
        "pending": add_alert(
            engine, "spike", "meter:apt/b1-heat", "apt", state=None, fired_at=None
        ),
    }


@pytest.fixture
def client(engine: Engine) -> TestClient:  # noqa: F811
    return TestClient(make_app(engine))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ADMIN_H = bearer(ADMIN)
APT_H = bearer(SITE_TOKENS["apt"])
IND_H = bearer(SITE_TOKENS["ind-1"])
