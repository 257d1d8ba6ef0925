"""The OpenAPI contract against the running server: Schemathesis' default checks, no failure.

The whole app (public, open data, facility, household, operators, board, surveys, alerts,
staff) runs under uvicorn over the rolled-up test city (real InfluxDB, the platform
database holding a resident, a post, an answered survey round and a staff account).
Every operation gets positive and negative cases generated from /openapi.json; each
is sent with the credentials its route needs (the operators' token, a household's
link, a resident's session and CSRF token, a staff session), and its response goes
through `case.validate_response` with the default checks of the installed major
version (schemathesis 4: status codes, content types, headers and bodies against the
schema, schema-valid requests accepted, invalid ones refused, authentication
enforced). Requests go through httpx with a timeout per request (schemathesis' own
requests transport breaks on the urllib3-future installed alongside: TrafficPolice
has no keys()); probes the checks send themselves (without credentials) take the
same way. Requests slower than SLOW_S are named in the output, never asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import allow_header_conformance
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from api import session, staff_auth
from api.ratelimit import TokenBuckets
from devstack import free_port
from tests.api.conftest import ADMIN, SITE_TOKENS, ApiCity, build_app
from tests.rollup import city
from tests.staff.people import PASSWORD, add_staff, fast_staff
from tests.support.tenancy import lived
from tests.surveys.conftest import answers

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
# Per operation and generation mode: about a minute on two cores.
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "8"))
TIMEOUT_S = 30.0  # per request; a request that takes longer fails the run, named
SLOW_S = 2.0  # named in the output
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# Endless by design without max_events (test_public covers them).
STREAMS = {"/v1/city/stream", "/v1/board/me/stream", "/v1/facility/stream"}
# They end the session the other cases run under: fuzzed last.
SESSION_ENDERS = ("/logout", "/signout", "/logout-everywhere")


@dataclass
class Identity:
    """What a request carries to be let in: headers (the cookie as a header, so that the
    checks' own probes without credentials really go without)."""

    headers: dict[str, str]


@dataclass
class Server:
    base: str
    admin: Identity
    household: Identity
    resident: Identity
    staff: Identity
    slow: list[tuple[float, str]] = field(default_factory=list)
    sent: int = 0

    def identity(self, path: str) -> Identity:
        if path.startswith("/v1/household"):
            return self.household
        if path.startswith("/v1/staff"):
            return self.staff
        if path.startswith(("/v1/board", "/v1/surveys")):
            return self.resident
        return self.admin


class HttpxTransport(RequestsTransport):
    """Sends a case with httpx to the running server (schemathesis serialises it)."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.server = server
        self.client = httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
        self.log: list[tuple[str, str, int]] = []  # method, path template, status

    def send(self, case: Any, *, session: Any = None, **kwargs: Any) -> Response:
        kwargs["base_url"] = self.server.base
        data = self.serialize_case(case, **kwargs)
        body = data.get("data")
        started = time.monotonic()
        try:
            r = self.client.request(
                data["method"],
                data["url"],
                params=data.get("params"),
                headers=_wire_headers(data.get("headers") or {}, data.get("cookies") or {}),
                json=data.get("json"),
                content=body if isinstance(body, bytes | str) else None,
                data=body if isinstance(body, dict) else None,
                files=data.get("files"),
            )
        except httpx.TimeoutException:
            raise AssertionError(
                f"no answer within {TIMEOUT_S:.0f} s: {case.method} {data['url']} "
                f"{data.get('params')}"
            ) from None
        took = time.monotonic() - started
        self.server.sent += 1
        self.log.append((case.method, case.path, r.status_code))
        if took > SLOW_S:
            self.server.slow.append((took, f"{case.method} {r.request.url}"))
        return Response.from_any(r)


def _wire_headers(headers: dict[str, Any], cookies: dict[str, str]) -> dict[str, str]:
    """Headers as httpx sends them: its own Content-Length and Host, values without the
    surrounding blanks HTTP/1.1 does not carry, generated cookies in the `Cookie` header
    (the identity's own session cookie wins over a generated one of the same name)."""
    out = {
        k: str(v).strip()
        for k, v in headers.items()
        if k.lower() not in ("content-length", "host", "transfer-encoding")
    }
    if cookies:
        own = out.pop("Cookie", "")
        names = {part.split("=", 1)[0].strip() for part in own.split(";") if part}
        jar = [own] + [f"{k}={v}" for k, v in cookies.items() if k not in names]
        out["Cookie"] = "; ".join(j for j in jar if j)
    return out


def _run_server(app: Any) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _resident(app: Any, base: str, unit: str) -> dict[str, str]:
    """The headers of a resident of `unit` signed in with a fresh code (with the operators'
    token too, for the board's staff routes under the same paths)."""
    lived(app.state.db, "apt", [unit])
    with httpx.Client(base_url=base, timeout=TIMEOUT_S) as c:
        r = c.post(
            "/v1/board/codes",
            json={"site": "apt", "households": [unit]},
            headers={"Authorization": f"Bearer {SITE_TOKENS['apt']}"},
        )
        assert r.status_code == 201, r.text
        r = c.post("/v1/board/redeem", json={"code": r.json()["codes"][0]["code"]})
        assert r.status_code == 200, r.text
    return {
        "Authorization": f"Bearer {ADMIN}",
        "Cookie": f"{session.COOKIE}={r.cookies[session.COOKIE]}",
        session.CSRF_HEADER: r.json()["csrf_token"],
    }


def _seed(app: Any, base: str) -> tuple[Identity, Identity]:
    """A resident signed in (with a post and a survey answer) and a staff member."""
    resident = _resident(app, base, "101-1")
    with httpx.Client(base_url=base, timeout=TIMEOUT_S) as c:
        post = {"kind": "question", "title": "Seed", "body": "b", "dong": "2914083000"}
        r = c.post("/v1/board/posts", json=post, headers=resident)
        assert r.status_code == 201, r.text
        r = c.post(  # a dataset on it, so that downloading one answers 200
            "/v1/board/datasets",
            params={"title": "Night use", "filename": "night.csv", "post_id": r.json()["id"]},
            content=b"hour,kwh\n1,0.5\n",
            headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        surveys = app.state.surveys
        now = surveys.rounds.clock()
        hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
        draft = surveys.rounds.create("energy_policy", now - hour, now + 14 * day, now + 21 * day)
        rnd = surveys.rounds.open(draft.id)
        r = c.post(
            f"/v1/surveys/rounds/{rnd.id}/response", json={"answers": answers()}, headers=resident
        )
        assert r.status_code in (200, 201), r.text
    for kind in ("resident", "address", "redeem"):  # inputs reach the routes, not the limits
        app.state.board_limits[kind] = TokenBuckets(1000.0, 10_000)
    fast_staff(app)  # cheap hashes, roomy sign-in limits
    # A browser of its own: staff signing in on the resident's browser would end its session.
    with httpx.Client(base_url=base, timeout=TIMEOUT_S) as c:
        add_staff(app, "kim", "moderator", "survey_admin", "code_issuer", "operator",
                  "administrator")  # fmt: skip
        r = c.post("/v1/staff/signin", json={"name": "kim", "password": PASSWORD})
        assert r.status_code == 200, r.text
        staff = {
            "Cookie": f"{staff_auth.COOKIE}={r.cookies[staff_auth.COOKIE]}",
            staff_auth.CSRF_HEADER: r.json()["csrf_token"],
        }
    return Identity(resident), Identity(staff)


@pytest.fixture(scope="module")
def server(api_city: ApiCity) -> Iterator[tuple[Any, Server]]:
    c = api_city.city
    app = build_app(c, api_city.public_ql, api_city.private_ql, civic=True)
    for base in _run_server(app):
        resident, staff = _seed(app, base)
        household = Identity({"Authorization": f"Bearer {api_city.household_token('hh-1')}"})
        yield app, Server(base, Identity({"Authorization": f"Bearer {ADMIN}"}), household,
                          resident, staff)  # fmt: skip


# What `format: csv` means in the document (a dataset's body): a header row and rows of the
# same width. JSON Schema has no keyword for it, so the test tells Schemathesis.
_CELL = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8)
schemathesis.openapi.format(
    "csv",
    st.integers(1, 4)
    .flatmap(
        lambda width: st.lists(
            st.lists(_CELL, min_size=width, max_size=width), min_size=1, max_size=5
        )
    )
    .map(lambda rows: "".join(",".join(row) + "\n" for row in rows)),
)


def test_the_server_does_what_its_contract_says(
    server: tuple[Any, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, srv = server
    schema = schemathesis.openapi.from_dict(app.openapi())
    transport = HttpxTransport(srv)
    monkeypatch.setattr(type(schema), "transport", property(lambda _self: transport))
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [o for o in operations if o.path not in STREAMS]
    operations.sort(key=lambda o: o.path.endswith(SESSION_ENDERS))
    failures: list[str] = []
    cases = 0
    for operation in operations:
        auth = srv.identity(operation.path).headers
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases += _fuzz(operation, mode, auth, transport, failures)
    slow = sorted(srv.slow, reverse=True)
    print(f"\n{len(operations)} operations, {cases} cases, {srv.sent} requests sent")
    for took, what in slow:
        print(f"slow: {took:.1f} s {what}")
    for failure in failures:
        print(f"\nFAILURE {failure}")
    assert not failures, f"{len(failures)} failures (printed above)"
    assert len(operations) >= 70
    assert cases >= 5 * len(operations)


def test_links_a_post_then_its_support_and_comments(
    server: tuple[Any, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stateful: Schemathesis follows the document's links from a post it wrote (create a
    post, then read, support and comment on it) under the resident's session, with the
    default checks on every step."""
    app, srv = server
    schema = schemathesis.openapi.from_dict(app.openapi()).include(
        path_regex=r"^/v1/board/posts(/\{post_id\}(/support|/comments)?)?$"
    )
    transport = HttpxTransport(srv)
    monkeypatch.setattr(type(schema), "transport", property(lambda _self: transport))
    base = schema.as_state_machine()
    # A resident of its own: the other test ends its resident's session last (logout).
    resident = _resident(app, srv.base, "101-2")

    class Resident(base):  # type: ignore[misc,valid-type]
        def before_call(self, case: Any) -> None:
            # A post in one of the city's dongs (reference data, not a schema rule), so that
            # some are written and their links followed.
            post = case.method == "POST" and case.path == "/v1/board/posts"
            if post and isinstance(case.body, dict) and "dong" in case.body:
                case.body = {**case.body, "dong": city.APARTMENT_DONG[1], "site": None}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": _unless_negated(resident, case)}

        def validate_response(self, response: Any, case: Any, *_: Any, **kwargs: Any) -> None:
            # As the other tests: the checks know which headers were ours (not generated).
            case.validate_response(
                response,
                headers=kwargs["headers"],
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    sent = len(transport.log)
    Resident.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            # The same walk every run: a random one reached no comment once in CI's
            # 2,000 tests (the assertions below need each link followed at least once).
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    steps = transport.log[sent:]
    # Reached a post that exists (the link's id): answered, or refused by the post's state.
    reached = {(m, p) for m, p, status in steps if status < 300 or status == 409}
    assert ("POST", "/v1/board/posts") in reached, steps
    assert ("POST", "/v1/board/posts/{post_id}/support") in reached, steps
    assert ("POST", "/v1/board/posts/{post_id}/comments") in reached, steps


def test_options_and_405_say_allow(server: tuple[Any, Server]) -> None:
    """Every path answers OPTIONS with its methods in `Allow` (Schemathesis'
    allow_header_conformance), and a method it does not have with 405 and the same `Allow`
    (what its unsupported_method check asks in the coverage phase)."""
    app, srv = server
    schema = schemathesis.openapi.from_dict(app.openapi())
    by_path: dict[str, Any] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        by_path.setdefault(operation.path, operation)
    with httpx.Client(base_url=srv.base, timeout=TIMEOUT_S) as client:
        for path, operation in by_path.items():
            declared = {m.upper() for m in schema.raw_schema["paths"][path] if m in HTTP_METHODS}
            url = re.sub(r"\{[^}]+\}", "1", path)
            options = client.options(url)
            assert options.status_code == 204, (path, options.status_code)
            case = operation.Case(path_parameters=dict.fromkeys(_names(path), "1"))
            case.validate_response(options, checks=[allow_header_conformance])
            other = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in declared)
            refused = client.request(other, url, headers=srv.admin.headers)
            assert refused.status_code == 405, (other, path, refused.status_code)
            assert set(refused.headers["allow"].split(", ")) == declared | {"OPTIONS"}, path
    assert len(by_path) >= 60


def _names(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


def _unless_negated(auth: dict[str, str], case: Any) -> dict[str, str]:
    """The identity's headers, less those a negative case made invalid on purpose (a
    credential header or cookie): the request sent must be the case generated."""
    negated = list(negated_parameters(case.meta))
    names = {name.lower() for name, _ in negated}
    cookie = any(location is ParameterLocation.COOKIE for _, location in negated)
    return {
        k: v
        for k, v in auth.items()
        if k.lower() not in names and not (cookie and k.lower() == "cookie")
    }


def _fuzz(operation, mode, auth, transport, failures: list[str]) -> int:  # type: ignore[no-untyped-def]
    count = [0]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # The first failure of each operation is reported as found: shrinking every
        # one would cost minutes, and the report names the request already.
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        count[0] += 1
        kwargs = {"headers": _unless_negated(auth, case)}
        response = transport.send(case, **kwargs)
        case.validate_response(response, headers=auth, transport_kwargs=kwargs)

    try:
        run()
    except Unsatisfiable:  # nothing to get wrong: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, operation.label
    except BaseExceptionGroup as exc:
        failures.append(f"{operation.label} [{mode.value}]: {exc}"[:2000])
    except Exception as exc:
        failures.append(f"{operation.label} [{mode.value}]: {exc!r}"[:2000])
    return count[0]
