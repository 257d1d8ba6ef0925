"""Session cookies and token buckets on their own: expiry, tampering, refill, bounded memory."""

from __future__ import annotations

from api import session
from api.ratelimit import TokenBuckets

KEY = "unit-signing-key-0123456789"
RESIDENT_KEY = "a" * 64


def test_a_session_is_bound_to_its_resident_and_expires() -> None:
    cookie = session.sign(KEY, 7, RESIDENT_KEY, issued=1_000)
    claim = session.parse(cookie)
    assert claim is not None and claim.resident_id == 7
    assert claim.verify(KEY, RESIDENT_KEY, now=1_000 + session.MAX_AGE_S)
    assert not claim.verify(KEY, RESIDENT_KEY, now=1_001 + session.MAX_AGE_S)
    assert not claim.verify(KEY, RESIDENT_KEY, now=999)  # issued in the future
    assert not claim.verify(KEY, "b" * 64, now=1_000)  # another household's key
    assert not claim.verify("another-key-0123456789", RESIDENT_KEY, now=1_000)
    assert not claim.verify("", RESIDENT_KEY, now=1_000)
    later = session.parse(cookie.replace("1000", "1001", 1))
    assert later is not None and not later.verify(KEY, RESIDENT_KEY, now=1_001)
    for bad in ("", "7", "x.1000.sig", "7.1000", "7.-1.sig"):
        assert session.parse(bad) is None


def test_the_csrf_token_belongs_to_one_session() -> None:
    a, b = session.sign(KEY, 1, RESIDENT_KEY, 1), session.sign(KEY, 2, RESIDENT_KEY, 1)
    assert session.csrf_ok(KEY, a, session.csrf_token(KEY, a))
    assert not session.csrf_ok(KEY, a, session.csrf_token(KEY, b))
    assert not session.csrf_ok(KEY, a, None) and not session.csrf_ok(KEY, a, "")


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
