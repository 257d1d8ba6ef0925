"""CORS per route in a real browser: a page served from another origin (its own HTTP server,
another port) calls the real API process with fetch(). Open data answers it; resident,
facility and staff routes do not (the browser refuses the script the answer), while the
same calls from the API's own origin get through, so the refusal is CORS's."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from tests.support.served_api import SITE_TOKENS, ServedApi, served_api  # noqa: F401 (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PAGE = b"<!doctype html><html lang=en><title>civic app</title><h1>A civic developer's page</h1>"
FETCH = """async ([url, init]) => {
  try {
    const r = await fetch(url, init);
    return {ok: true, status: r.status, etag: r.headers.get('ETag'), text: await r.text()};
  } catch (e) {
    return {ok: false, error: e.name + ': ' + e.message};
  }
}"""
OPEN_DATA = "/v1/open-data/consumption.csv?level=dong&every=month&utility=electricity"
CLOSED = [
    # The residents' board: a plain GET without credentials, refused only for want of CORS.
    ("/v1/board/posts", {}),
    ("/v1/board/me", {"credentials": "include"}),  # a resident's own session
    ("/v1/surveys/rounds/1/response", {"credentials": "include"}),  # own answers
    ("/v1/facility/sites", {"headers": {"Authorization": f"Bearer {SITE_TOKENS['apt']}"}}),
    ("/v1/staff/tenancies", {"credentials": "include"}),
]


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_origin(local_servers) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A second local HTTP server: another port is another origin."""
    server = ThreadingHTTPServer(("127.0.0.1", local_servers.port()), _Page)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(chromium) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = chromium.new_context()
    yield context.new_page()
    context.close()


def test_another_origin_reads_open_data_but_no_private_route(
    page,  # type: ignore[no-untyped-def]
    served_api: ServedApi,  # noqa: F811 (fixture)
    other_origin: str,
) -> None:
    api = served_api.base
    page.goto(f"{other_origin}/")
    assert page.evaluate("location.origin") == other_origin != api

    csv = page.evaluate(FETCH, [api + OPEN_DATA, {}])
    assert csv["ok"] and csv["status"] == 200, csv
    assert csv["text"].startswith("# Licence:") and "consumption_kwh" in csv["text"]
    assert csv["etag"] and csv["etag"].startswith('W/"')  # exposed to the script
    live = page.evaluate(FETCH, [api + "/v1/city/live", {}])
    assert live["ok"] and live["status"] == 200, live
    # Revalidation works cross-origin too (If-None-Match is an allowed request header).
    again = page.evaluate(
        FETCH, [api + OPEN_DATA, {"headers": {"If-None-Match": csv["etag"]}, "cache": "no-store"}]
    )
    assert again["ok"] and again["status"] == 304 and again["text"] == "", again

    for path, init in CLOSED:
        refused = page.evaluate(FETCH, [api + path, init])
        assert not refused["ok"] and refused["error"].startswith("TypeError"), (path, refused)

    # The same calls from the API's own origin get an answer (the manager's sites; 401
    # without a session), so what stopped the other origin was CORS, not the server.
    page.goto(f"{api}/about")
    own = {path: page.evaluate(FETCH, [api + path, init]) for path, init in CLOSED}
    assert all(r["ok"] for r in own.values()), own
    assert (
        own["/v1/facility/sites"]["status"] == 200 and '"apt"' in own["/v1/facility/sites"]["text"]
    )
    assert own["/v1/board/me"]["status"] == 401
    assert own["/v1/board/posts"]["status"] == 200
