"""Facility pages (HTML) for staff signed in at `/staff/signin`: a site's live meters.

Who sees what: a `facility_manager` account sees its own sites only, an `operator`
(or an administrator) every site; any other account, none. The checks are one function
(`opened_sites`) used by the page, its SSE stream and its CSV download, so no figure of
another site is reachable by any of them: another site's page, stream or download answers
403 (an unknown site 404). Only the staff cookie opens these pages (EventSource sends no
bearer header, and a token in a URL leaks); a request without a session is sent to the
sign-in page (the page) or refused with 401 (stream, download).

Figures come from `stores/facility_live.py`, whose queries are the Grafana facility
board's (telemetry/facility_queries.py). Pages are `private, no-store`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import Engine, select
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api import staff_auth
from api.deps import private_store
from api.params import reference
from api.problems import ApiProblem, bad_request, forbidden, not_found, unauthorized
from api.staff_auth import Principal
from api.web.i18n import pick_lang
from api.web.pages import link
from api.web.resident import read_form
from api.web.routes import Lang
from api.web.staff_pages import signed_in, staff_page, to_sign_in
from staff import roles as role_rules
from stores import facility_live
from stores.influx import PrivateStore
from stores.reference import Reference
from stores.timewin import KST
from telemetry.alert_events import ACKNOWLEDGED, AlertChange
from telemetry.db import audit
from telemetry.db.alert_ack import acknowledge_row
from telemetry.db.tables import alerts
from telemetry.fields import FIELDS, Utility
from telemetry.influxql import InfluxQueryError

router = APIRouter(include_in_schema=False)
Store = Annotated[PrivateStore, Depends(private_store)]
Ref = Annotated[Reference, Depends(reference)]
Ident = r"^[a-z0-9][a-z0-9._-]{0,63}$"
SiteP = Annotated[str, Path(pattern=Ident)]
OPERATOR = "operator"
# A CSV download covers at most this many days (and facility_live.CSV_MAX_ROWS readings).
CSV_MAX_DAYS = 31
# Fields shown on a meter's panel, in this order, where the meter has them.
SHOWN = (
    "power_kw",
    "flow_m3h",
    "energy_kwh",
    "energy_export_kwh",
    "volume_m3",
    "voltage_v",
    "current_a",
    "power_factor",
    "supply_temp_c",
    "return_temp_c",
)


def opened_sites(request: Request, who: Principal) -> set[str]:
    """The sites an account sees: an operator's or administrator's every site, a facility
    manager's its own, anyone else's none."""
    registry = request.app.state.reference.registry
    every = set(registry.sites) if registry is not None else set()
    if who.sites is None or who.allows(OPERATOR):
        return every
    if role_rules.FACILITY_MANAGER in who.roles:
        return set(who.sites) & every
    return set()


def _site_or_refuse(request: Request, who: Principal, site: str) -> None:
    registry = request.app.state.reference.registry
    if site not in opened_sites(request, who):
        if registry is None or site not in registry.sites:
            raise not_found(f"unknown site {site!r}")
        raise forbidden(f"this account does not open site {site!r}")


def _staff_or_401(request: Request) -> Principal:
    who = signed_in(request)
    if who is None:
        raise unauthorized("sign in as staff at /staff/signin")
    return who


@router.get("/facility", response_class=HTMLResponse)
def facility_index(request: Request, ref: Ref, lang: Lang = None) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(lang, "/facility")
    registry = ref.registry
    sites = [registry.sites[s] for s in sorted(opened_sites(request, who))] if registry else []
    return staff_page(request, "facility/index.html", lang, {"sites": sites}, who)


def _panel(m: facility_live.MeterLive) -> dict[str, Any]:
    """A meter as the page and the stream show it: its shown fields in order, with units."""
    specs = FIELDS[Utility(m.utility)]
    values = [
        {"field": f, "value": m.values[f], "unit": specs[f].unit}
        for f in SHOWN
        if f in m.values and f in specs
    ]
    return {
        "meter": m.meter,
        "utility": m.utility,
        "status": m.status,
        "stale": m.stale,
        "stale_after_s": m.stale_after_s,
        "age_s": None if m.age_s is None else round(m.age_s),
        "last_ms": m.last_ms,
        "quality": m.quality,
        "name": m.name,
        "building": m.building,
        "simulated": m.simulated,
        "values": values,
    }


def snapshot(
    store: PrivateStore, ref: Reference, site: str, db: Engine | None = None
) -> dict[str, Any]:
    """What the page shows and the stream sends: every meter of the site, a count of the
    stale ones (for the screen readers' summary), and the ids of the site's alerts shown."""
    assert ref.registry is not None
    now_ms = int(time.time() * 1000)
    meters = [_panel(m) for m in facility_live.meter_states(store, ref.registry, site, now_ms)]
    shown = site_alerts(db, site) if db is not None else []
    return {
        "site": site,
        "at_ms": now_ms,
        "meters": meters,
        "stale": sum(1 for m in meters if m["stale"]),
        "alerts": sorted(f"{a['id']}:{a['state']}" for a in shown),
    }


SPARK_W, SPARK_H = 160, 36


def spark(values: list[float | None]) -> dict[str, Any] | None:
    """An SVG polyline's points (drawn in the page, no script) and the range in words."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = SPARK_W / max(1, len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{SPARK_H - 2 - (v - low) / span * (SPARK_H - 4):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )
    return {"points": points, "min": low, "max": high}


def _today_ms() -> tuple[int, int]:
    """[KST midnight, now] in epoch ms."""
    now = dt.datetime.now(KST)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp() * 1000), int(now.timestamp() * 1000) + 1


def _today(store: PrivateStore, site: str) -> dict[str, tuple[float, int]]:
    return facility_live.today_by_utility(store, site, *_today_ms())


@router.get("/facility/{site}", response_class=HTMLResponse)
def site_page(request: Request, site: SiteP, store: Store, ref: Ref, lang: Lang = None) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(lang, f"/facility/{site}")
    try:
        _site_or_refuse(request, who, site)
    except ApiProblem as exc:
        context = {"error": exc.detail, "site": None}
        return staff_page(request, "facility/site.html", lang, context, who, exc.status)
    assert ref.registry is not None
    info = ref.registry.sites[site]
    today = _today(store, site)
    db: Engine | None = request.app.state.db
    now = snapshot(store, ref, site, db)
    lines = facility_live.sparklines(
        store, site, {m["utility"] for m in now["meters"]}, now["at_ms"]
    )
    for m in now["meters"]:
        m["spark"] = spark(lines.get((m["utility"], m["meter"]), []))
        m["spark_field"] = facility_live.rate_field(m["utility"])
        m["spark_unit"] = FIELDS[Utility(m["utility"])][m["spark_field"]].unit
    context = {
        "site": info,
        "alerts": site_alerts(db, site) if db is not None else [],
        "alerts_key": ",".join(now["alerts"]),
        "events": facility_live.counter_events(store, site, *_today_ms()),
        "now": now,
        "today": [
            {"utility": u.value, "used": today[u.value][0], "events": today[u.value][1]}
            for u in Utility
            if u.value in today
        ],
        "csv_start": (dt.datetime.now(KST) - dt.timedelta(days=1)).date().isoformat(),
        "csv_end": dt.datetime.now(KST).date().isoformat(),
        "csv_max_days": CSV_MAX_DAYS,
        "stream_href": f"/facility/{site}/stream",
        "error": None,
    }
    return staff_page(request, "facility/site.html", lang, context, who)


@router.get("/facility/{site}/stream")
async def site_stream(
    request: Request,
    site: SiteP,
    store: Store,
    ref: Ref,
    max_events: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    """`event: meters` with the page's snapshot (JSON) every `stream_interval_s`."""
    who = _staff_or_401(request)
    _site_or_refuse(request, who, site)
    interval = request.app.state.config.stream_interval_s
    return StreamingResponse(
        _events(request, store, ref, site, interval, max_events),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "private, no-store",
            "X-Accel-Buffering": "no",
            "X-Robots-Tag": "noindex",
        },
    )


async def _events(
    request: Request,
    store: PrivateStore,
    ref: Reference,
    site: str,
    interval: float,
    max_events: int | None,
) -> AsyncIterator[str]:
    sent = 0
    yield "retry: 5000\n\n"
    while max_events is None or sent < max_events:
        if await request.is_disconnected():
            return
        if staff_auth.session_of(request) is None:  # signed out or expired: the stream ends
            yield 'event: ended\ndata: {"detail": "the staff session has ended"}\n\n'
            return
        try:
            data = await run_in_threadpool(snapshot, store, ref, site, request.app.state.db)
            yield f"event: meters\nid: {data['at_ms']}\ndata: {json.dumps(data)}\n\n"
        except InfluxQueryError:
            yield 'event: error\ndata: {"detail": "data store unavailable"}\n\n'
        sent += 1
        if max_events is not None and sent >= max_events:
            return
        await asyncio.sleep(interval)


def _day(text: str | None, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError as exc:
        raise bad_request(f"{name} must be a day YYYY-MM-DD", name) from exc


@router.get("/facility/{site}/readings.csv")
def meter_csv(
    request: Request,
    site: SiteP,
    store: Store,
    ref: Ref,
    meter: Annotated[str, Query(pattern=Ident)],
    utility: Annotated[Utility | None, Query()] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
) -> StreamingResponse:
    """A meter's readings from the KST day `start` through the day `end` (at most
    CSV_MAX_DAYS days), streamed as CSV; `utility` defaults to the registered meter's."""
    who = _staff_or_401(request)
    _site_or_refuse(request, who, site)
    if utility is None:
        assert ref.registry is not None
        listed = [u for (u, m) in facility_live.site_meters(ref.registry, site) if m == meter]
        utility = Utility(listed[0]) if listed else Utility.ELECTRICITY
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise bad_request("end must not be before start", "end")
    if (last - first).days + 1 > CSV_MAX_DAYS:
        raise bad_request(f"at most {CSV_MAX_DAYS} days per download", "end")
    t0 = dt.datetime.combine(first, dt.time(0), KST)
    t1 = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), KST)
    lines: Iterator[str] = facility_live.readings_csv(
        store,
        site,
        meter,
        utility.value,
        int(t0.timestamp() * 1000),
        int(t1.timestamp() * 1000),
    )
    name = f"{site}_{meter}_{first.isoformat()}_{last.isoformat()}.csv"
    return StreamingResponse(
        iterate_in_threadpool(lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# Alerts the page lists: firing (acknowledged or not), and cleared ones still unacknowledged.
SHOWN_ALERTS = ("active_unacked", "active_acked", "cleared_unacked")
NOTE_MAX = 2000


def site_alerts(db: Engine, site: str) -> list[dict[str, Any]]:
    query = (
        select(alerts)
        .where(alerts.c.site == site, alerts.c.state.in_(SHOWN_ALERTS))
        .order_by(alerts.c.fired_at.desc(), alerts.c.id.desc())
        .limit(200)
    )
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@router.post("/facility/{site}/alerts/{alert_id}/ack")
async def acknowledge_form(
    request: Request,
    site: SiteP,
    alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    lang: Lang = None,
) -> Response:
    """Acknowledge one of the site's alerts with a note: the session's CSRF token and the
    Origin are checked, the acknowledgement is recorded in the audit log in the same
    transaction (as `POST /v1/alerts/{id}/ack`), then the page is shown again."""
    form = await read_form(request)
    who = _staff_or_401(request)
    try:
        _acknowledge(request, who, site, alert_id, form)
    except ApiProblem as exc:  # a refusal is a page with the status and the reason
        context = {"error": exc.detail, "site": None}
        return staff_page(request, "facility/site.html", lang, context, who, exc.status)
    target = link(pick_lang(lang), f"/facility/{site}") + "#alerts"
    return RedirectResponse(target, status_code=303)


def _acknowledge(request: Request, who: Principal, site: str, alert_id: int, form: Any) -> None:
    staff_auth.check_write(request, who, form.get(staff_auth.CSRF_FIELD) or None)
    _site_or_refuse(request, who, site)
    note = (form.get("note") or "").strip()
    if not note or len(note) > NOTE_MAX:
        raise bad_request(f"write a note of 1 to {NOTE_MAX} characters", "note")
    db: Engine | None = request.app.state.db
    if db is None:
        raise ApiProblem(503, "Alerts unavailable", "this server has no platform database")
    now = dt.datetime.now(dt.UTC)
    with db.begin() as conn:
        done = acknowledge_row(conn, alert_id, who.shown[:64], note, now, {site})
        if done is None:
            raise ApiProblem(
                409,
                "Nothing to acknowledge",
                f"alert {alert_id} of site {site!r} is not waiting for an acknowledgement",
                kind="/problems/already-acknowledged",
            )
        audit.record(conn, who.actor, "alert.ack", "alert", alert_id, {"note": note}, now)
    events = request.app.state.alert_events
    if events is not None:  # best effort, after the commit, as the API route does
        events.write([AlertChange.from_row(done, ACKNOWLEDGED)], now)
