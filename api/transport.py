"""What every response says about the transport and the API's own documentation.

- HSTS: with `hsts` on (config/api.yaml, default) in an HTTPS deployment
  (`board.secure_cookies`, the configuration's word that browsers reach the
  API over HTTPS, as for the cookies' `Secure`: a proxy in front would hide
  the scheme), every response carries `Strict-Transport-Security:
  max-age=31536000; includeSubDomains`. Off for a local run over plain HTTP.
- /docs: FastAPI's Swagger UI and ReDoc pages load scripts from a CDN, on the
  origin that holds the residents' cookies; they are turned off (create_app
  passes docs_url=None, redoc_url=None). /docs is instead a page of the
  portal's own (api/web/api_docs.py): the operations listed from the OpenAPI
  document, rendered on the server under the portal's CSP, no script at all.
  /openapi.json stays.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"


class StrictTransport:
    """Pure ASGI (no buffering: the event streams pass as they are): adds HSTS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not hsts_on(scope["app"]):
            await self.app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "strict-transport-security" not in headers:
                    headers.append("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_hsts)


def hsts_on(app: FastAPI) -> bool:
    config = app.state.config
    return bool(config.hsts and config.board.secure_cookies)


def install(app: FastAPI) -> None:
    app.add_middleware(StrictTransport)
