"""Revalidation of public answers: `ETag`, `Last-Modified` and `304 Not Modified`.

A public answer (a GET or HEAD answered 200 with `Cache-Control: public`, the
header `params.cache_for` and the open-data routes set) is held back until its
body is whole, then gets:

- `ETag: W/"<first 32 hex of the SHA-256 of the body>"`: a weak tag, because
  GZipMiddleware (outside this one) compresses the same representation into
  other bytes, and a strong tag must change with the bytes (RFC 9110 8.8.3).
  Weak comparison is what `If-None-Match` uses, so revalidation is unaffected.
  The tag is the body's, so every API process gives the same answer the same tag.
- `Last-Modified`: when this process first served this representation of this
  URL (a changed body moves it on, by at least a second). It is per process, so
  two processes may date one body differently; `If-None-Match` is exact and wins
  when a client sends both (RFC 9110 13.2.2).

A request whose `If-None-Match` names the tag (or, without `If-None-Match`, whose
`If-Modified-Since` is not before `Last-Modified`) gets `304` with the
validators, `Cache-Control`, `Vary` and no body. Private answers
(`private, no-store`), event streams, answers that set cookies and answers with a
validator of their own (static files) pass untouched, unbuffered.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from email.utils import formatdate, parsedate_to_datetime

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Headers a 304 repeats (RFC 9110 15.4.5); the CORS headers are added outside.
KEPT_ON_304 = ("cache-control", "content-location", "date", "etag", "expires", "vary")
MAX_URLS = 10_000  # representations remembered for Last-Modified (least recent forgotten)


def entity_tag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def cacheable(scope: Scope, message: Message) -> bool:
    """A public 200 to GET or HEAD, with no validator or cookie of its own, not a stream."""
    if scope["method"] not in ("GET", "HEAD") or message["status"] != 200:
        return False
    headers = Headers(raw=message["headers"])
    cache = headers.get("cache-control", "").lower()
    return (
        "public" in cache
        and "no-store" not in cache
        and "etag" not in headers
        and "set-cookie" not in headers
        and not headers.get("content-type", "").startswith("text/event-stream")
    )


def not_modified(request: Headers, etag: str, last_modified: float) -> bool:
    """RFC 9110 13.1.2 and 13.1.3: If-None-Match (weak comparison) first, else
    If-Modified-Since (an unreadable date is ignored)."""
    match = request.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = request.get("if-modified-since")
    if since is None:
        return False
    try:
        return int(last_modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


class FirstSeen:
    """When this process first served each URL's current representation."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def last_modified(self, url: str, etag: str, now: float) -> float:
        with self._lock:
            before = self._seen.pop(url, None)
            if before is not None and before[0] == etag:
                when = before[1]
            else:  # a new body: dated now, and always after the body it replaces
                when = float(int(now))
                if before is not None and when <= before[1]:
                    when = before[1] + 1
            self._seen[url] = (etag, when)
            while len(self._seen) > MAX_URLS:
                self._seen.popitem(last=False)
        return when


class ConditionalGet:
    """Pure ASGI: validators on public answers, 304 to a matching conditional request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen = FirstSeen()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold_public(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if cacheable(scope, message):
                    start = message
                    return
                await send(message)
            elif start is None:
                await send(message)
            else:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._answer(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, hold_public)

    async def _answer(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        etag = entity_tag(body)
        url = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        when = self.seen.last_modified(url, etag, time.time())
        headers = MutableHeaders(scope=start)
        headers["ETag"] = etag
        headers["Last-Modified"] = formatdate(when, usegmt=True)
        if not_modified(Headers(scope=scope), etag, when):
            kept = [(k, v) for k, v in start["headers"] if k.decode("latin-1") in KEPT_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body})
