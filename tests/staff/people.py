"""Staff members for the API tests: an account with roles, signed in through the real route."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.ratelimit import TokenBuckets
from telemetry.db import audit

# argon2id with small parameters: the tests sign in many times; the app's own hasher (the
# library's defaults) is checked in tests/staff/test_accounts.py.
FAST_HASH = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "a long staff password 1234"


@dataclass
class StaffBrowser:
    """A browser of its own (cookie jar); its CSRF token goes with every write."""

    client: TestClient
    csrf: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers | kw.pop("headers", {}), **kw)

    def write(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = dict(self.headers) | ({"X-CSRF-Token": self.csrf} if self.csrf else {})
        return self.client.request(method, path, json=json, headers=sent | (headers or {}))

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.write("POST", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.write("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.write("DELETE", path, None, **kw)


def fast_staff(app: FastAPI) -> None:
    """Cheap hashes and roomy sign-in limits (one test address signs everyone in)."""
    state = app.state.staff
    state.accounts.hasher = FAST_HASH
    state.by_address = TokenBuckets(100.0, 100)
    state.by_name = TokenBuckets(100.0, 100)


def add_staff(app: FastAPI, name: str, *roles: str, sites: tuple[str, ...] = ()) -> None:
    if app.state.staff.accounts.get(name) is None:
        app.state.staff.accounts.add(name, PASSWORD, roles, actor=audit.CLI, sites=sites)


def staff_member(
    app: FastAPI,
    name: str = "kim",
    *roles: str,
    sites: tuple[str, ...] = (),
    base_url: str = "http://testserver",
) -> StaffBrowser:
    """A browser signed in as `name` (added with `roles` if new, moderator by default), its
    CSRF token sent with every write (Person.write)."""
    if app.state.staff.accounts.hasher is not FAST_HASH:
        fast_staff(app)
    add_staff(app, name, *(roles or ("moderator",)), sites=sites)
    person = StaffBrowser(TestClient(app, base_url=base_url))
    r = person.post("/v1/staff/signin", {"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    person.csrf = r.json()["csrf_token"]
    return person
