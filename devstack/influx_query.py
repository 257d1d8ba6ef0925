"""InfluxQL over HTTP for the devstack InfluxDB: raw JSON answers, every error raised.

Tests and the demo set up and inspect the database with it; the components read
through `telemetry.influxql`, which devstack does not import.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from devstack.errors import DevstackError
from telemetry.influx_schema import HANDED_RP, IMPORTED_RP, ROLLUP_RP

_DB_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class InfluxQueryError(DevstackError):
    """An InfluxQL statement failed (HTTP error or an error in the result)."""


class InfluxQueries:
    """Queries against the server at `url` (a mixin for `InfluxServer`)."""

    url: str

    def create_database(
        self, name: str, raw_retention: str = "INF", imported_retention: str = "INF"
    ) -> None:
        """The database as `python -m collector init` makes it: raw readings in its
        default policy (kept `raw_retention`, an InfluxQL duration; forever for tests
        whose data are dated in the past), the rollups' policy, kept forever, and
        imported history's (kept `imported_retention`; in a deployment, as long as
        the rollups)."""
        if not _DB_NAME.match(name):
            raise ValueError(f"unsafe database name: {name!r}")
        self.query(f'CREATE DATABASE "{name}"')
        self.query(f'ALTER RETENTION POLICY "autogen" ON "{name}" DURATION {raw_retention}')
        self.query(f'CREATE RETENTION POLICY "{ROLLUP_RP}" ON "{name}" DURATION INF REPLICATION 1')
        self.query(
            f'CREATE RETENTION POLICY "{IMPORTED_RP}" ON "{name}" '
            f"DURATION {imported_retention} REPLICATION 1"
        )
        # Kept forever here (as the rollups): a test's markers may be dated days back;
        # a deployment keeps them two days (collector/init_db.py).
        self.query(f'CREATE RETENTION POLICY "{HANDED_RP}" ON "{name}" DURATION INF REPLICATION 1')

    def query(
        self, q: str, db: str | None = None, epoch: str | None = None, method: str = "POST"
    ) -> dict[str, Any]:
        """Run InfluxQL over /query through nginx; the parsed JSON, or InfluxQueryError."""
        params = {"q": q}
        if db is not None:
            params["db"] = db
        if epoch is not None:
            params["epoch"] = epoch
        status, body = _query_request(f"{self.url}/query", params, method)
        try:
            result: dict[str, Any] = json.loads(body)
        except ValueError as exc:
            raise InfluxQueryError(f"HTTP {status}, not JSON: {body[:300]!r}") from exc
        error = _first_error(result)
        if status != 200 or error:
            raise InfluxQueryError(f"HTTP {status}: {error or body[:300]!r} (query: {q})")
        return result


def _query_request(url: str, params: dict[str, str], method: str) -> tuple[int, str]:
    encoded = urllib.parse.urlencode(params)
    if method.upper() == "GET":
        request = urllib.request.Request(f"{url}?{encoded}", method="GET")
    else:
        request = urllib.request.Request(
            url,
            data=encoded.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _first_error(result: dict[str, Any]) -> str | None:
    if "error" in result:
        return str(result["error"])
    for statement in result.get("results", []):
        if "error" in statement:
            return str(statement["error"])
    return None
