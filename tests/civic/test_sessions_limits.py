"""Session tokens and token buckets on their own: purpose-bound MACs, refill, bounded memory.
(Sessions on the server, expiry and revocation: tests/trust.)"""

from __future__ import annotations

from datetime import UTC, datetime

from api import session
from api.ratelimit import TokenBuckets

KEY = "unit-signing-key-0123456789"


def test_the_csrf_token_belongs_to_one_session() -> None:
    a, b = "session-id-a", "session-id-b"
    assert session.csrf_ok(KEY, a, session.csrf_token(KEY, a))
    assert not session.csrf_ok(KEY, a, session.csrf_token(KEY, b))
    assert not session.csrf_ok(KEY, a, session.csrf_token("another-key-0123456789", a))
    assert not session.csrf_ok(KEY, a, None) and not session.csrf_ok(KEY, a, "")
    # Purpose-labelled: the sign-in form's token of the same string is not a CSRF token.
    assert not session.csrf_ok(KEY, a, session.signin_token(KEY, a))


def test_a_survey_edit_cookie_opens_only_under_its_session() -> None:
    from fastapi import Response
    from starlette.requests import Request

    from api.settings import ApiConfig

    class State:
        config = ApiConfig()

    class App:
        state = State()

    closes = datetime(2030, 1, 1, tzinfo=UTC)
    response = Response()
    request = Request({"type": "http", "headers": [], "app": App()})
    session.set_survey_edit(request, response, KEY, "session-a", 7, "handle-1", closes)
    value = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]

    def read(sid: str, round_id: int = 7, cookie: str = value) -> str | None:
        header = f"{session.edit_cookie(round_id)}={cookie}".encode()
        req = Request({"type": "http", "headers": [(b"cookie", header)], "app": App()})
        return session.survey_edit_handle(req, KEY, sid, round_id)

    assert value.startswith("handle-1.") and read("session-a") == "handle-1"
    assert read("session-b") is None  # another sign-in in the same browser
    assert read("session-a", round_id=8) is None  # another round's cookie name
    assert read("session-a", cookie="handle-2" + value[len("handle-1") :]) is None
    assert read("session-a", cookie="handle-1") is None


def test_buckets_refill_and_forget_the_oldest_keys() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=0.5, burst=2, max_keys=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 2.0]
    now[0] += 1.0  # half a token back
    assert buckets.take("a") == 1.0
    now[0] += 1.0
    assert buckets.take("a") == 0.0
    for key in ("b", "c", "d"):
        buckets.take(key)
    assert len(buckets._buckets) == 3 and "a" not in buckets._buckets
