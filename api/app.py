"""The FastAPI application: stores, reference data, routers, problems, HTTP manners.

Middleware, innermost first: validators and 304 on public answers
(conditional.py, on the body before compression), RateLimit headers
(ratelimit.py), compression, CORS per route (cors.py), HSTS (transport.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine

from api import conditional, cors, guards, params, problems, ratelimit, staff_auth, transport, web
from api.auth import Secrets
from api.routes import (
    admin,
    alerts,
    board,
    board_data,
    board_staff,
    facility,
    household,
    opendata,
    programmes,
    public,
    staff,
    stream,
    surveys,
    tenancies,
)
from api.settings import ApiConfig, ApiSettings
from civic.board.context import Board
from civic.surveys.service import Surveys, build_surveys, registry_stratum
from stores.influx import PrivateStore, PublicStore
from stores.reference import Reference
from telemetry.alert_events import AlertEventLog
from telemetry.db import DEFAULT_DB_URL, make_engine
from telemetry.emissions import EmissionFactors, load_emission_factors
from telemetry.influxql import InfluxQL
from telemetry.registry import Registry, load_geography, load_registry

DESCRIPTION = """\
City-wide energy views of Gwangju: electricity, gas, water, district heat and
rooftop solar, by autonomous district (자치구), administrative dong (행정동) and
building type.

* **Public** routes (no token) answer from aggregates that passed the privacy
  rule (at least k households or sites) and read nothing else; a withheld group
  says `suppressed` (or `no_data`) with its reason instead of a number.
* **Facility managers** (bearer token per site), **households** (their own
  signed token or link) and **operators** (admin token) read private data.

Days and months are Korean days and months (KST). Errors are
`application/problem+json` (RFC 9457).
"""


@dataclass
class Parts:
    """What the app is built from; tests hand in their own stores."""

    public_store: PublicStore
    private_store: PrivateStore
    reference: Reference
    config: ApiConfig
    secrets: Secrets
    factors: EmissionFactors
    board: Board | None = None  # the participation board's database (telemetry.db)
    # The platform database's surveys (None: not configured; their routes say so).
    surveys: Surveys | None = None
    db: Engine | None = None  # the platform database (alerts); else the surveys' one
    # Where acknowledgements made here are written as alert_events (None: nowhere).
    alert_events: AlertEventLog | None = None


def create_app(parts: Parts) -> FastAPI:
    app = FastAPI(
        title="Gwangju energy information platform API",
        version="1.0.0",
        description=DESCRIPTION,
        # The CDN-loaded Swagger UI and ReDoc pages are off: /docs is the portal's own
        # page (api/web/api_docs.py, api/transport.py); /openapi.json stays.
        docs_url=None,
        redoc_url=None,
        # A scalar query parameter given twice is refused, not silently the last (params.py).
        dependencies=[Depends(params.one_value_each)],
        openapi_tags=[
            {"name": "public", "description": "aggregates from the public bucket only"},
            {"name": "open data", "description": "exports for researchers, with licence"},
            {"name": "facility managers", "description": "bearer token per site"},
            {"name": "households", "description": "the household's own signed token"},
            {"name": "operators", "description": "admin token"},
            {"name": "board", "description": "residents' participation board"},
            {"name": "board staff", "description": "answers and moderation (staff: moderator)"},
            {"name": "surveys", "description": "citizens' policy surveys"},
            {"name": "alerts", "description": "site token (own sites) or admin token"},
            {"name": "staff", "description": "staff sign-in (cookie session) and the audit log"},
        ],
    )
    app.state.public_store = parts.public_store
    app.state.private_store = parts.private_store
    app.state.reference = parts.reference
    app.state.config = parts.config
    app.state.secrets = parts.secrets
    app.state.factors = parts.factors
    app.state.board = parts.board
    app.state.surveys = parts.surveys
    app.state.db = parts.db or (parts.surveys.engine if parts.surveys else None)
    app.state.alert_events = parts.alert_events
    problems.install(app)
    guards.install(app)
    staff_auth.install(app)  # staff accounts and sessions, on the platform database
    for module in (public, stream, opendata, facility, household, admin, programmes, surveys):
        app.include_router(module.router)
    app.include_router(surveys.staff)
    if app.state.staff is not None:
        app.include_router(staff.router)
        app.include_router(tenancies.router)  # tenancies and links: staff, on the database
    if app.state.db is not None:  # like the board's: alert routes only with the database
        app.include_router(alerts.router)
        app.include_router(alerts.silences)
    if parts.board is not None:  # the board's routes exist only with its database
        app.include_router(board.router)
        app.include_router(board_staff.router)
        app.include_router(board_data.router)
    web.install(app)  # the citizens' portal: pages at /, files at /static
    # Added innermost first. ETag on the uncompressed body; a 304 keeps the RateLimit headers.
    app.add_middleware(conditional.ConditionalGet)
    app.add_middleware(ratelimit.RateLimitHeaders)
    # Compresses pages and JSON; Starlette leaves text/event-stream alone.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    # Open data to any origin, every other route to none (cors_origins opens no route).
    app.add_middleware(cors.RouteCors)
    transport.install(app)  # HSTS in an HTTPS deployment
    return app


def parts_from_settings(settings: ApiSettings, registry: Registry | None = None) -> Parts:
    config = settings.load_api_config()
    registry = registry or load_registry(settings.config)
    public_token = settings.secret("influx_public_token") or settings.influx_token_value()
    db = make_engine(settings.db_url or DEFAULT_DB_URL)  # the platform database (telemetry.db)
    return Parts(
        public_store=PublicStore(
            InfluxQL(settings.influx_url, public_token), settings.influx_public_bucket
        ),
        private_store=PrivateStore(
            InfluxQL(settings.influx_url, settings.influx_token_value()), settings.influx_bucket
        ),
        reference=Reference(load_geography(), registry, config.privacy_k),
        config=config,
        secrets=Secrets(
            admin_token=settings.secret("api_admin_token"),
            site_tokens=settings.site_tokens(),
            signing_key=settings.signing_key(),
            signing_keys=tuple(settings.signing_keys()),
        ),
        factors=load_emission_factors(),
        board=Board(db, config.board),
        surveys=build_surveys(
            db,
            config.surveys,
            registry_stratum(registry),
            config.disclosure.rules(config.privacy_k),
            seal_key=settings.survey_keys(),
        ),
        db=db,
        alert_events=AlertEventLog(
            settings.influx_url,
            settings.secret("influx_events_token") or settings.influx_token_value(),
            settings.influx_org,
            settings.influx_bucket,
        ),
    )
