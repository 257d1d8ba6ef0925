"""What the API's commands share: the component name, migrating the database, resolving a
unit as written."""

from __future__ import annotations

from api.settings import ApiSettings
from telemetry.config.cli import fail
from telemetry.registry import Registry

COMPONENT = "api"


def _migrate(settings: ApiSettings) -> str:
    """Bring the platform database up to date, so the run command needs no extra step."""
    from telemetry.db import DEFAULT_DB_URL, migrate

    url = settings.db_url or DEFAULT_DB_URL
    try:
        migrate.upgrade(url)
    except Exception:
        # Another process sharing the file may have migrated it first: fine if it is current.
        if migrate.current(url) != migrate.head():
            raise
    return url


def _resolve(registry: Registry, site: str, spelling: str) -> tuple[str, str]:
    """(site, unit id) of a unit as written; exit 2 with the closest units when unknown."""
    from telemetry.registry.units import UnitNotFound

    if site not in registry.units:
        fail(COMPONENT, f"site {site!r} lists no units (config/units/<site>.yaml)")
    try:
        return site, registry.resolve_unit(site, spelling)
    except UnitNotFound as exc:
        fail(COMPONENT, str(exc))
