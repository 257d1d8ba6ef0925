"""Push data sources, folders and boards to a running Grafana through grafana-client.

Idempotent: everything is looked up by its stable uid (or the organisation by
name) and updated in place, so a second push changes nothing. The citizens'
organisation is created here because Grafana's provisioning cannot create an
organisation (and refuses to start on provisioning for one that is missing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from dashboards.catalog import FOLDERS, Folder
from dashboards.datasources import CITIZENS_ORG_NAME, STAFF_ORG_ID, DataSource


class PushError(RuntimeError):
    """Grafana refused or could not be reached; the message says which step."""


def push(grafana_url: str, influx_url: str, generated: Path, *, only: str = "all") -> Iterator[str]:
    """Push every folder (only="staff" or "citizens" limits it); yields one line per action."""
    if not influx_url:
        raise PushError(
            "the InfluxDB URL Grafana should use is missing (--influx-url or INFLUX_URL)"
        )
    folders = [f for f in FOLDERS if only == "all" or f.citizens == (only == "citizens")]
    tokens = _tokens({f.datasource for f in folders})
    admin = _api(grafana_url)
    try:
        for citizens in sorted({f.citizens for f in folders}):
            org_id = _citizens_org(admin) if citizens else STAFF_ORG_ID
            api = _api(grafana_url, org_id)
            yield f"organisation {org_id} ({'citizens' if citizens else 'staff'})"
            for datasource in {f.datasource for f in folders if f.citizens == citizens}:
                yield _datasource(api, datasource, influx_url, tokens[datasource.uid])
            for folder in (f for f in folders if f.citizens == citizens):
                yield _folder(api, folder)
                for board in _boards(generated, folder):
                    yield _dashboard(api, folder, board)
    except GrafanaException as exc:
        raise PushError(f"Grafana at {_redacted(grafana_url)}: {exc}") from exc


def _tokens(datasources: set[DataSource]) -> dict[str, str]:
    missing = [d.token_env for d in datasources if not os.environ.get(d.token_env)]
    if missing:
        raise PushError(f"set the InfluxDB read token(s) in the environment: {sorted(missing)}")
    return {d.uid: os.environ[d.token_env] for d in datasources}


def _api(url: str, org_id: int | None = None) -> GrafanaApi:
    token = os.environ.get("GRAFANA_TOKEN")
    api = GrafanaApi.from_url(url, credential=token or None, timeout=15.0)
    if org_id is not None:
        # Every following call acts in this organisation.
        api.client.s.headers["X-Grafana-Org-Id"] = str(org_id)
    return api


def _citizens_org(api: GrafanaApi) -> int:
    try:
        found = api.organization.find_organization(quote(CITIZENS_ORG_NAME, safe=""))
        org_id = int(found["id"])
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        created = api.organization.create_organization({"name": CITIZENS_ORG_NAME})
        return int(created["orgId"])  # the creating admin is Admin of the new organisation
    _join(api, org_id)
    return org_id


def _join(api: GrafanaApi, org_id: int) -> None:
    """Make sure the pushing user may act in an organisation created by someone else."""
    me = api.user.get_actual_user()
    login = me.get("login") if isinstance(me, dict) else None
    if not login:
        return
    try:
        api.organizations.organization_user_add(org_id, {"loginOrEmail": login, "role": "Admin"})
    except GrafanaClientError as exc:
        if exc.status_code != 409:  # already a member
            raise


def _datasource(api: GrafanaApi, datasource: DataSource, url: str, token: str) -> str:
    definition = datasource.definition(url=url, token=token)
    try:
        api.datasource.get_datasource_by_uid(datasource.uid)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.datasource.create_datasource(definition)
        return f"  data source {datasource.uid}: created"
    api.datasource.update_datasource_by_uid(datasource.uid, definition)
    return f"  data source {datasource.uid}: updated"


def _folder(api: GrafanaApi, folder: Folder) -> str:
    try:
        existing = api.folder.get_folder(folder.uid)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.folder.create_folder(folder.title, uid=folder.uid)
        return f"  folder {folder.uid}: created"
    if existing.get("title") != folder.title:
        api.folder.update_folder(folder.uid, title=folder.title, overwrite=True)
        return f"  folder {folder.uid}: renamed"
    return f"  folder {folder.uid}: unchanged"


def _boards(generated: Path, folder: Folder) -> list[dict[str, Any]]:
    paths = sorted((generated / folder.directory).glob("*.json"))
    if not paths:
        raise PushError(
            f"no boards in {generated / folder.directory}: run `python -m dashboards build`"
        )
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def _dashboard(api: GrafanaApi, folder: Folder, board: dict[str, Any]) -> str:
    api.dashboard.update_dashboard(
        {
            "dashboard": {**board, "id": None},
            "folderUid": folder.uid,
            "overwrite": True,
            "message": "python -m dashboards push",
        }
    )
    return f"    board {board['uid']}: saved"


def _redacted(url: str) -> str:
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
