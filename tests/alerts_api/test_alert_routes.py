"""Listing, reading and acknowledging alerts: operators see all, a site token its sites only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from devstack import InfluxServer
from telemetry.alert_events import AlertEventLog
from telemetry.db.tables import alerts
from telemetry.influxql import InfluxQL
from tests.alerts_api.conftest import ADMIN_H, APT_H, IND_H, bearer, make_app

PROBLEM = "application/problem+json"


def _ids(response: object) -> set[int]:
    return {a["id"] for a in response.json()["alerts"]}  # type: ignore[attr-defined]


def test_operator_lists_every_fired_alert_newest_first(
    client: TestClient, stocked: dict[str, int]
) -> None:
    r = client.get("/v1/alerts", headers=ADMIN_H)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "private, no-store"
    body = r.json()
    fired = {stocked[k] for k in ("apt_leak", "apt_stale", "ind_stale", "agent")}
    assert _ids(r) == fired and body["total"] == 4  # the never-fired row is not an alert
    assert body["alerts"][-1]["id"] == stocked["apt_stale"]  # fired an hour earlier
    leak = next(a for a in body["alerts"] if a["id"] == stocked["apt_leak"])
    assert leak["originator"] == "meter:apt/b1-water" and leak["severity"] == "critical"
    assert leak["labels"]["rule"] == "water-leak" and leak["fired_at"].startswith("2026-03-02T18")


def test_filters_combine(client: TestClient, stocked: dict[str, int]) -> None:
    get = lambda q: _ids(client.get(f"/v1/alerts?{q}", headers=ADMIN_H))  # noqa: E731
    assert get("state=cleared_unacked") == {stocked["apt_stale"]}
    assert get("state=active_unacked&severity=critical") == {stocked["apt_leak"], stocked["agent"]}
    assert get("site=apt") == {stocked["apt_leak"], stocked["apt_stale"]}
    assert get("rule=stale") == {stocked["apt_stale"], stocked["ind_stale"]}
    assert get("rule=stale&site=ind-1") == {stocked["ind_stale"]}
    assert get("severity=warning") == set()
    page = client.get("/v1/alerts?limit=1&offset=1", headers=ADMIN_H).json()
    assert len(page["alerts"]) == 1 and page["total"] == 4


def test_a_site_token_sees_its_sites_only(client: TestClient, stocked: dict[str, int]) -> None:
    assert _ids(client.get("/v1/alerts", headers=APT_H)) == {
        stocked["apt_leak"],
        stocked["apt_stale"],
    }
    assert _ids(client.get("/v1/alerts", headers=IND_H)) == {stocked["ind_stale"]}
    # Filters never widen the view: another site's rule, another site by name.
    assert _ids(client.get("/v1/alerts?rule=agent-offline", headers=APT_H)) == set()
    r = client.get("/v1/alerts?site=ind-1", headers=APT_H)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    # Another site's alert, or an agent's, does not exist for this token.
    for other in (stocked["ind_stale"], stocked["agent"]):
        r = client.get(f"/v1/alerts/{other}", headers=APT_H)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert client.get(f"/v1/alerts/{stocked['apt_leak']}", headers=APT_H).status_code == 200


def test_tokens_are_required(client: TestClient, stocked: dict[str, int]) -> None:
    assert client.get("/v1/alerts").status_code == 401
    r = client.get("/v1/alerts", headers=bearer("not-a-token"))
    assert r.status_code == 401 and r.json()["type"] == "/problems/unauthorized"
    assert client.get(f"/v1/alerts/{stocked['pending']}", headers=ADMIN_H).status_code == 404


def test_facility_manager_acknowledges_own_alert_with_note(
    client: TestClient, engine: Engine, stocked: dict[str, int]
) -> None:
    leak = stocked["apt_leak"]
    body = {"by": "kim.facility", "note": "valve closed, plumber called"}
    r = client.post(f"/v1/alerts/{leak}/ack", json=body, headers=APT_H)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "active_acked" and r.json()["ack_note"] == body["note"]
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == leak)).mappings().one()
    # Who acknowledged is the credential (the site's token), not the name in the body.
    assert (row["state"], row["acked_by"], row["version"]) == ("active_acked", "site:apt", 2)
    assert row["acked_at"] is not None
    # Twice: nothing left to acknowledge.
    again = client.post(f"/v1/alerts/{leak}/ack", json=body, headers=APT_H)
    assert again.status_code == 409 and again.json()["type"] == "/problems/already-acknowledged"
    cleared = client.post(f"/v1/alerts/{stocked['apt_stale']}/ack", json=body, headers=APT_H)
    assert cleared.json()["state"] == "cleared_acked"


def test_a_site_token_cannot_acknowledge_another_sites_alert(
    client: TestClient, engine: Engine, stocked: dict[str, int]
) -> None:
    body = {"by": "lee.facility", "note": "not mine"}
    for other in (stocked["apt_leak"], stocked["agent"]):
        r = client.post(f"/v1/alerts/{other}/ack", json=body, headers=IND_H)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    with engine.connect() as conn:
        states = dict(conn.execute(select(alerts.c.id, alerts.c.state)).all())
    assert states[stocked["apt_leak"]] == "active_unacked"
    assert states[stocked["agent"]] == "active_unacked"


def test_operator_acknowledges_any_alert(client: TestClient, stocked: dict[str, int]) -> None:
    body = {"by": "ops.park", "note": "agent host rebooting"}
    r = client.post(f"/v1/alerts/{stocked['agent']}/ack", json=body, headers=ADMIN_H)
    assert r.status_code == 200 and r.json()["acked_by"] == "machine:admin-token"


def test_acknowledgement_needs_a_note(client: TestClient, stocked: dict[str, int]) -> None:
    url = f"/v1/alerts/{stocked['apt_leak']}/ack"
    r = client.post(url, json={"by": "kim", "note": ""}, headers=APT_H)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.note"
    assert client.post(url, json={"by": "kim"}, headers=APT_H).status_code == 422
    r = client.post("/v1/alerts/0/ack", json={"by": "kim", "note": "x"}, headers=APT_H)
    assert r.status_code == 422 and "alert_id" in r.json()["detail"]


def test_without_a_platform_database_there_are_no_alert_routes() -> None:
    r = TestClient(make_app(None)).get("/v1/alerts", headers=ADMIN_H)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_an_acknowledgement_through_the_api_is_an_alert_event(
    engine: Engine, stocked: dict[str, int], influx: InfluxServer, influx_db: str
) -> None:
    """The boards' table and annotations read alert_events: the API's ack lands there too."""
    log = AlertEventLog(influx.url, "", "gwangju", influx_db)
    client = TestClient(make_app(engine, log))
    body = {"by": "kim.facility", "note": "valve closed"}
    assert client.post(f"/v1/alerts/{stocked['apt_leak']}/ack", json=body, headers=APT_H).is_success
    refused = client.post(f"/v1/alerts/{stocked['apt_leak']}/ack", json=body, headers=APT_H)
    assert refused.status_code == 409  # no second event for an ack that did not happen
    ql = InfluxQL(influx.url)
    rows = ql.rows('SELECT "state", "value" FROM "alert_events" GROUP BY *', influx_db)
    ql.close()
    log.close()
    assert [(r["event"], r["rule"], r["originator"], r["site"], r["severity"], r["state"],
             r["value"]) for r in rows] == [
        ("acknowledged", "water-leak", "meter:apt/b1-water", "apt", "critical", "active_acked",
         0.4)
    ]  # fmt: skip


def test_an_unreachable_store_never_fails_the_acknowledgement(
    engine: Engine, stocked: dict[str, int]
) -> None:
    client = TestClient(make_app(engine, AlertEventLog("http://127.0.0.1:9", "", "o", "energy")))
    r = client.post(
        f"/v1/alerts/{stocked['apt_leak']}/ack", json={"by": "a", "note": "b"}, headers=APT_H
    )
    assert r.status_code == 200 and r.json()["state"] == "active_acked"
