"""Silences through the API: operators only, honoured by the evaluator's own reading of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from alerts import store
from tests.alerts_api.conftest import ADMIN_H, APT_H


def _window(start_h: float, end_h: float) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "starts_at": (now + timedelta(hours=start_h)).isoformat(),
        "ends_at": (now + timedelta(hours=end_h)).isoformat(),
    }


SILENCE = {"matchers": {"site": "apt", "rule": "stale"}, "created_by": "ops.park"}


def test_operator_adds_lists_and_removes_a_silence(client: TestClient, engine: Engine) -> None:
    body = SILENCE | _window(-1, 4) | {"comment": "pump work"}
    r = client.post("/v1/alert-silences", json=body, headers=ADMIN_H)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["active"] is True and r.headers["Location"] == f"/v1/alert-silences/{made['id']}"
    # The evaluator reads the same row: it suppresses exactly the matching labels.
    with engine.connect() as conn:
        in_force = store.active_silences(conn, datetime.now(UTC))
    assert in_force == [SILENCE["matchers"]]
    assert store.silenced({"site": "apt", "rule": "stale", "severity": "major"}, in_force)
    assert not store.silenced({"site": "apt", "rule": "water-leak"}, in_force)

    later = SILENCE | _window(24, 26) | {"comment": "tomorrow"}
    client.post("/v1/alert-silences", json=later, headers=ADMIN_H)
    listed = client.get("/v1/alert-silences", headers=ADMIN_H).json()
    assert [(s["comment"], s["active"]) for s in listed] == [
        ("pump work", True),
        ("tomorrow", False),
    ]

    assert client.delete(f"/v1/alert-silences/{made['id']}", headers=ADMIN_H).status_code == 204
    gone = client.delete(f"/v1/alert-silences/{made['id']}", headers=ADMIN_H)
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert [s["comment"] for s in client.get("/v1/alert-silences", headers=ADMIN_H).json()] == [
        "tomorrow"
    ]


def test_ended_silences_are_listed_on_request(client: TestClient) -> None:
    old = SILENCE | _window(-5, -1) | {"comment": "last night"}
    assert client.post("/v1/alert-silences", json=old, headers=ADMIN_H).status_code == 201
    assert client.get("/v1/alert-silences", headers=ADMIN_H).json() == []
    listed = client.get("/v1/alert-silences?expired=true", headers=ADMIN_H).json()
    assert [(s["comment"], s["active"]) for s in listed] == [("last night", False)]


def test_silences_are_for_operators_only(client: TestClient) -> None:
    body = SILENCE | _window(0, 1) | {"comment": "mine"}
    assert client.post("/v1/alert-silences", json=body, headers=APT_H).status_code == 401
    assert client.get("/v1/alert-silences", headers=APT_H).status_code == 401
    assert client.delete("/v1/alert-silences/1", headers=APT_H).status_code == 401


def test_a_bad_silence_names_its_field(client: TestClient) -> None:
    def post(body: dict[str, object], status: int = 422) -> dict[str, object]:
        r = client.post("/v1/alert-silences", json=body, headers=ADMIN_H)
        assert r.status_code == status
        return r.json()

    # Two valid times that do not fit together: a conflict, not a malformed body.
    backwards = post(SILENCE | _window(2, 1) | {"comment": "x"}, 409)
    assert "ends_at must be after starts_at" in str(backwards["detail"])
    naive = SILENCE | {"starts_at": "2026-03-02T01:00:00", "ends_at": "2026-03-02T05:00:00"}
    assert "body.starts_at" in str(post(naive | {"comment": "x"})["detail"])
    empty = post({**SILENCE, "matchers": {}} | _window(0, 1) | {"comment": "x"})
    assert "body.matchers" in str(empty["detail"])
    bad_label = post({**SILENCE, "matchers": {"si te": "apt"}} | _window(0, 1) | {"comment": "x"})
    assert "matchers" in str(bad_label["detail"])
