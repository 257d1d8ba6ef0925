"""The site and meter registry loaded from config/ (sites, agents, meters, profiles)."""

from telemetry.config.errors import ConfigError, ConfigIssue
from telemetry.registry.geography import District, Dong, Geography, load_geography
from telemetry.registry.lean import load_registry_lean
from telemetry.registry.loader import load_profiles, load_registry
from telemetry.registry.profiles import Profile, ProfileConstant, ProfileField, Table
from telemetry.registry.registry import Registry, SiteTags
from telemetry.registry.sites import (
    Agent,
    AgentKind,
    BuildingType,
    Meter,
    RtuConnection,
    Site,
    SiteKind,
    SitesFile,
    TcpConnection,
)

__all__ = [
    "Agent",
    "AgentKind",
    "BuildingType",
    "ConfigError",
    "ConfigIssue",
    "District",
    "Dong",
    "Geography",
    "Meter",
    "Profile",
    "ProfileConstant",
    "ProfileField",
    "Registry",
    "RtuConnection",
    "Site",
    "SiteKind",
    "SiteTags",
    "SitesFile",
    "Table",
    "TcpConnection",
    "load_geography",
    "load_profiles",
    "load_registry",
    "load_registry_lean",
]
