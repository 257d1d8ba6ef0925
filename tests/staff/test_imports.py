"""GET /v1/staff/imports: the last imports' receipts, as the importer keeps them in the platform
database, for operators only; on both engines through the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from importers.history import LoggedReceipt, ReceiptTable
from importers.receipts import ImportReceipt
from telemetry.receipts import MeterReceipt
from tests.civic.board_api import ADMIN, codes, resident
from tests.staff.people import staff_member

MACHINE = {"Authorization": f"Bearer {ADMIN}"}


def _import(db_url: str, n: int, at: datetime, refused: int = 0) -> str:
    """What `python -m importers` records after import `n` (no state dir: a database URL)."""
    meters = {f"hh-{n}-electricity": MeterReceipt(stored=5, refused={"ts_future": refused})}
    if not refused:
        meters[f"hh-{n}-electricity"].refused = {}
    details = {"ts_future": "ends in the future"} if refused else {}
    receipt = ImportReceipt(import_id=f"id{n}", file=f"gb{n}.xml", meters=meters, details=details)
    entry = LoggedReceipt(
        at=at,
        agent="pungam-import",
        receipt=receipt,
        site="apt",
        household=f"hh-{n}",
        format="greenbutton",
        started=at - timedelta(seconds=3),
        exit_status=2 if refused else 0,
    )
    ReceiptTable(db_url).record(entry)
    return receipt.import_id


def test_an_operator_sees_the_last_imports_newest_first(app: FastAPI, db_url: str) -> None:
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for n in range(3):
        _import(db_url, n, at + timedelta(minutes=n), refused=n)
    lee = staff_member(app, "lee", "operator")
    r = lee.get("/v1/staff/imports", params={"last": 2})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "private, no-store"
    newest, second = r.json()["imports"]
    assert [newest["import_id"], second["import_id"]] == ["id2", "id1"]
    assert newest == {
        "import_id": "id2",
        "site": "apt",
        "household": "hh-2",
        "agent": "pungam-import",
        "file": "gb2.xml",
        "format": "greenbutton",
        "started_at": "2026-03-01T09:01:57Z",
        "finished_at": "2026-03-01T09:02:00Z",
        "meters": {"hh-2-electricity": {"stored": 5, "refused": {"ts_future": 2}}},
        "details": {"ts_future": "ends in the future"},
        "exit_status": 2,
    }
    all_of_them = lee.get("/v1/staff/imports").json()["imports"]
    assert [i["import_id"] for i in all_of_them] == ["id2", "id1", "id0"]
    assert all_of_them[2]["meters"] == {"hh-0-electricity": {"stored": 5, "refused": {}}}
    assert lee.get("/v1/staff/imports", params={"last": 0}).status_code == 422
    assert TestClient(app).get("/v1/staff/imports", headers=MACHINE).status_code == 200


def test_no_one_else_sees_them(app: FastAPI, db_url: str) -> None:
    _import(db_url, 1, datetime(2026, 3, 1, tzinfo=UTC))
    assert TestClient(app).get("/v1/staff/imports").status_code == 401
    manager = staff_member(app, "park", "facility_manager", sites=("apt",))
    refused = manager.get("/v1/staff/imports")
    assert refused.status_code == 403 and "operator" in refused.json()["detail"]
    assert staff_member(app, "kim", "moderator").get("/v1/staff/imports").status_code == 403
    [code] = codes(app, ["101-1"])
    assert resident(app, code).get("/v1/staff/imports").status_code == 401


def test_the_route_documents_who_may_read_it(app: FastAPI) -> None:
    get = app.openapi()["paths"]["/v1/staff/imports"]["get"]
    assert {"200", "401", "403"} <= set(get["responses"])
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ImportsPage"
    }
    assert "operator" in get["description"]
