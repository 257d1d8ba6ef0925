"""A small in-memory stand-in for Grafana's HTTP API (Grafana itself cannot run here).

Only the routes `dashboards.push` uses, with Grafana's status codes and the
X-Grafana-Org-Id header selecting the organisation. A unit-test double: it
checks our calls, not Grafana's behaviour.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass
class State:
    orgs: dict[int, str] = field(default_factory=lambda: {1: "Main Org."})
    members: dict[int, set[str]] = field(default_factory=lambda: {1: {"admin"}})
    datasources: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    folders: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, org

    def creates(self) -> list[tuple[str, str, int]]:
        """POSTs that create an organisation, a data source or a folder."""
        made = ("/api/orgs", "/api/datasources", "/api/folders")
        return [c for c in self.calls if c[0] == "POST" and c[1] in made]


class FakeGrafana:
    def __init__(self) -> None:
        self.state = State()
        handler = _handler(self.state)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://admin:secret@127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGrafana:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # quiet
            pass

        def _reply(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"null")

        def _route(self, method: str) -> None:
            if self.headers.get("Authorization", "") != "Basic YWRtaW46c2VjcmV0":  # admin:secret
                return self._reply(401, {"message": "Unauthorized"})
            org = int(self.headers.get("X-Grafana-Org-Id") or 1)
            path = self.path.split("?")[0]
            state.calls.append((method, path, org))
            if org not in state.orgs or "admin" not in state.members.get(org, set()):
                return self._reply(401, {"message": "not a member of this organisation"})
            body = self._body() if method in ("POST", "PUT") else None
            code, reply = _dispatch(state, method, path, org, body)
            self._reply(code, reply)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

    return Handler


def _dispatch(state: State, method: str, path: str, org: int, body: Any) -> tuple[int, Any]:
    if method == "GET" and path == "/api/user":
        return 200, {"login": "admin"}
    if m := re.fullmatch(r"/api/orgs/name/(.+)", path):
        name = unquote(m[1])
        found = [i for i, n in state.orgs.items() if n == name]
        return (200, {"id": found[0], "name": name}) if found else (404, {"message": "not found"})
    if method == "POST" and path == "/api/orgs":
        if body["name"] in state.orgs.values():
            return 409, {"message": "Organization name taken"}
        new = max(state.orgs) + 1
        state.orgs[new] = body["name"]
        state.members[new] = {"admin"}
        return 200, {"orgId": new, "message": "Organization created"}
    if m := re.fullmatch(r"/api/orgs/(\d+)/users", path):
        members = state.members.setdefault(int(m[1]), set())
        if body["loginOrEmail"] in members:
            return 409, {"message": "User is already member of this organization"}
        members.add(body["loginOrEmail"])
        return 200, {"message": "User added to organization"}
    if m := re.fullmatch(r"/api/datasources/uid/([\w-]+)", path):
        key = (org, m[1])
        if key not in state.datasources:
            return 404, {"message": "Data source not found"}
        if method == "PUT":
            state.datasources[key] = body
        return 200, state.datasources[key]
    if method == "POST" and path == "/api/datasources":
        key = (org, body["uid"])
        if key in state.datasources:
            return 409, {"message": "data source with the same uid already exists"}
        state.datasources[key] = body
        return 200, {"message": "Datasource added"}
    if m := re.fullmatch(r"/api/folders/([\w-]+)", path):
        key = (org, m[1])
        if key not in state.folders:
            return 404, {"message": "folder not found"}
        if method == "PUT":
            state.folders[key] = {"uid": m[1], "title": body["title"]}
        return 200, state.folders[key]
    if method == "POST" and path == "/api/folders":
        key = (org, body["uid"])
        if key in state.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        state.folders[key] = {"uid": body["uid"], "title": body["title"]}
        return 200, state.folders[key]
    if method == "POST" and path == "/api/dashboards/db":
        board = body["dashboard"]
        if (org, body["folderUid"]) not in state.folders:
            return 400, {"message": "folder not found"}
        key = (org, board["uid"])
        if key in state.dashboards and not body.get("overwrite"):
            return 412, {"message": "version-mismatch"}
        state.dashboards[key] = {"folderUid": body["folderUid"], "dashboard": board}
        return 200, {"status": "success", "uid": board["uid"]}
    return 404, {"message": f"no route {method} {path}"}
