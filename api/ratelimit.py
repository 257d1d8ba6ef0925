"""Rate limits: token buckets shared by every API process, and the headers that tell a client.

Each limit is a `Policy` (a name, a burst of `quota` requests, refilled at `rate`
per second). With the platform database (every deployment that has writes to
limit), `SharedBuckets` keeps the buckets in its `rate_limits` table
(telemetry/db/rate_limits.py, one conditional UPDATE per take), so N API
processes allow the rate once, not N times. `TokenBuckets` keeps them in this
process (an app without a database; tests hand in roomy ones).

Every response to a request that went through a limit carries, per the IETF
draft draft-ietf-httpapi-ratelimit-headers-10 (Structured Fields lists):

    RateLimit-Policy: "redeem";q=5;w=50
    RateLimit: "redeem";r=3;t=21

(q: the burst, w: seconds to refill it from empty, r: requests left, t: seconds
until the bucket is full again), and a 429 also `Retry-After` (whole seconds until
one request is allowed). `RateLimitHeaders` adds them from what `record` kept on
the request's state, so routes and problem responses alike carry them.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry.db import rate_limits
from telemetry.db.rate_limits import Verdict

STATE_KEY = "rate_limits"  # request.state: [(policy, verdict)] of the limits it went through
PURGE_EVERY = 500  # takes between deletions of full buckets (shared buckets only)


@dataclass(frozen=True, slots=True)
class Policy:
    name: str  # a Structured Fields token-safe name: the RateLimit item's value
    rate: float  # tokens per second
    quota: int  # burst

    @property
    def window_s(self) -> int:
        """Seconds from an empty bucket to a full one."""
        return max(1, math.ceil(self.quota / self.rate))


class Limiter(Protocol):
    policy: Policy

    def check(self, key: str) -> Verdict: ...


class TokenBuckets:
    """Buckets in this process only (bounded: the least recently used keys are forgotten)."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        name: str = "default",
    ) -> None:
        self.policy = Policy(name, rate_per_s, burst)
        self.max_keys, self.clock = max_keys, clock
        self._buckets: OrderedDict[str, float] = OrderedDict()  # key -> TAT
        self._lock = threading.Lock()

    def check(self, key: str) -> Verdict:
        now = self.clock()
        with self._lock:
            tat, verdict = rate_limits.gcra(
                self._buckets.pop(key, None), now, self.policy.rate, self.policy.quota
            )
            self._buckets[key] = tat
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return verdict

    def take(self, key: str) -> float:
        """0 when a token was taken; otherwise seconds until one is there."""
        return self.check(key).retry_after_s


class SharedBuckets:
    """Buckets in the platform database: one budget per key for every API process."""

    def __init__(
        self, engine: Engine, policy: Policy, clock: Callable[[], float] = time.time
    ) -> None:
        # The wall clock: processes share it, as they cannot share a monotonic one.
        self.engine, self.policy, self.clock = engine, policy, clock

    def check(self, key: str) -> Verdict:
        now = self.clock()
        bucket = rate_limits.bucket_id(self.policy.name, key)
        verdict = rate_limits.take(self.engine, bucket, self.policy.rate, self.policy.quota, now)
        if random.randrange(PURGE_EVERY) == 0:
            rate_limits.purge(self.engine, now)
        return verdict

    def take(self, key: str) -> float:
        return self.check(key).retry_after_s


def buckets(engine: Engine | None, name: str, rate: float, quota: int) -> Limiter:
    """Shared buckets on the platform database when there is one, else this process's."""
    if engine is None:
        return TokenBuckets(rate, quota, name=name)
    return SharedBuckets(engine, Policy(name, rate, quota))


def record(request: Request, limiter: Limiter, key: str) -> Verdict:
    """Take one request from `key`'s bucket; kept for the response's headers."""
    verdict = limiter.check(key)
    found = getattr(request.state, STATE_KEY, None)
    taken = found if found is not None else []
    taken.append((limiter.policy, verdict))
    setattr(request.state, STATE_KEY, taken)
    return verdict


def retry_after(verdict: Verdict) -> str:
    return str(max(1, math.ceil(verdict.retry_after_s)))


def header_values(taken: list[tuple[Policy, Verdict]]) -> tuple[str, str]:
    """RateLimit-Policy and RateLimit, one list member per policy (the last take of each)."""
    last = {policy.name: (policy, verdict) for policy, verdict in taken}
    policies = ", ".join(f'"{p.name}";q={p.quota};w={p.window_s}' for p, _ in last.values())
    states = ", ".join(
        f'"{p.name}";r={v.remaining};t={math.ceil(v.reset_s)}' for p, v in last.values()
    )
    return policies, states


class RateLimitHeaders:
    """Pure ASGI: adds RateLimit-Policy and RateLimit to a response whose request was limited."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def with_headers(message: Message) -> None:
            taken = state.get(STATE_KEY) if message["type"] == "http.response.start" else None
            if taken:
                headers = MutableHeaders(scope=message)
                headers["RateLimit-Policy"], headers["RateLimit"] = header_values(taken)
            await send(message)

        await self.app(scope, receive, with_headers)
