"""Alerts of the site on its page, acknowledged with the session's CSRF token, audited."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from sqlalchemy import Engine, select

from telemetry.db import audit
from telemetry.db.tables import alerts
from tests.alerts_api.conftest import add_alert
from tests.staff.people import staff_member

SITE, OTHER = "ind-1", "apt"


def test_a_firing_alert_is_listed_and_acknowledged_with_a_note(
    app: FastAPI, engine: Engine
) -> None:
    mine = add_alert(engine, "power-high", f"meter:{SITE}/main-elec", SITE)
    theirs = add_alert(engine, "power-high", f"meter:{OTHER}/blk101-elec", OTHER)
    manager = staff_member(app, "park", "facility_manager", sites=(SITE,))
    page = manager.get(f"/facility/{SITE}").text
    listed = set(re.findall(r'data-alert="(\d+)"', page))
    assert listed == {str(mine)}
    form = {"csrf_token": manager.csrf, "note": "breaker checked"}
    # without the token: refused, nothing changes
    refused = manager.client.post(f"/facility/{SITE}/alerts/{mine}/ack", data={"note": "x"})
    assert refused.status_code == 403
    # another site's alert, through this site's form or the other site's: refused
    for path in (f"/facility/{SITE}/alerts/{theirs}/ack", f"/facility/{OTHER}/alerts/{theirs}/ack"):
        r = manager.client.post(path, data=form, follow_redirects=False)
        assert r.status_code in (403, 409), path
    done = manager.client.post(f"/facility/{SITE}/alerts/{mine}/ack", data=form,
                               follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].endswith("#alerts")
    with engine.connect() as conn:
        states = dict(conn.execute(select(alerts.c.id, alerts.c.state)).all())
        log = audit.entries(conn, audit.Filter(action="alert.ack"), 10, 0)
    assert states == {mine: "active_acked", theirs: "active_unacked"}
    assert [(e["actor"], e["target_id"], e["detail"]) for e in log] == [
        ("staff:park", str(mine), {"note": "breaker checked"})
    ]
    again = manager.client.post(f"/facility/{SITE}/alerts/{mine}/ack", data=form)
    assert again.status_code == 409 and again.headers["content-type"].startswith("text/html")
    assert "not waiting for an acknowledgement" in again.text
    shown = manager.get(f"/facility/{SITE}?lang=en").text
    assert "firing, acknowledged" in shown and "breaker checked" in shown


def test_the_stream_carries_the_sites_alerts_only(app: FastAPI, engine: Engine) -> None:
    mine = add_alert(engine, "power-high", f"meter:{SITE}/main-elec", SITE)
    add_alert(engine, "power-high", f"meter:{OTHER}/blk101-elec", OTHER)
    manager = staff_member(app, "park", "facility_manager", sites=(SITE,))
    with manager.client.stream("GET", f"/facility/{SITE}/stream?max_events=1") as r:
        body = "".join(r.iter_text())
    event = json.loads(next(x[6:] for x in body.splitlines() if x.startswith("data: ")))
    assert event["alerts"] == [f"{mine}:active_unacked"]
    page = manager.get(f"/facility/{SITE}").text
    assert f'data-alerts="{mine}:active_unacked"' in page
