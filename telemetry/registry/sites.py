"""Sites, agents, meters and their Modbus connections."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from telemetry.config.strict import FrozenStrictModel
from telemetry.fields import Utility
from telemetry.ids import Identifier

# New meter ids the cloud admits per site beyond its expected meters before it
# refuses more (collector/README.md "Unknown meters"): room for a gateway that
# auto-registers a few devices, never an unbounded number of series.
DEFAULT_METER_MARGIN = 100
MAX_SITE_METERS = 10_000_000


class SiteKind(StrEnum):
    INDUSTRIAL_COMPLEX = "industrial_complex"
    APARTMENT_COMPLEX = "apartment_complex"
    PUBLIC_BUILDING = "public_building"
    HOUSEHOLD = "household"


class BuildingType(StrEnum):
    APARTMENT = "apartment"
    DETACHED_HOUSE = "detached_house"
    INDUSTRIAL = "industrial"
    COMMERCIAL = "commercial"
    PUBLIC = "public"
    EDUCATION = "education"


class TcpConnection(FrozenStrictModel):
    type: Literal["tcp"] = "tcp"
    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)
    unit: int = Field(default=1, ge=0, le=255, description="Modbus unit (slave) id")
    timeout_s: float = Field(default=1.0, gt=0, le=60)

    @property
    def bus(self) -> str:
        """What requests to this meter queue behind (a TCP gateway or device)."""
        return f"tcp://{self.host}:{self.port}"


class RtuConnection(FrozenStrictModel):
    type: Literal["rtu"]
    device: str = Field(min_length=1, description="serial device, e.g. /dev/ttyUSB0")
    baud: int = Field(default=9600, ge=300, le=921600)
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    unit: int = Field(default=1, ge=1, le=247)
    timeout_s: float = Field(default=1.0, gt=0, le=60)

    @property
    def bus(self) -> str:
        return f"rtu://{self.device}"


Connection = Annotated[TcpConnection | RtuConnection, Field(discriminator="type")]


class Meter(FrozenStrictModel):
    id: Identifier
    utility: Utility
    profile: str
    connection: Connection
    poll_interval_s: float = Field(default=10.0, ge=0.1, le=86400)
    name: str | None = None
    building: str | None = Field(default=None, description="building within the site")


class AgentKind(StrEnum):
    EDGE = "edge"  # polls Modbus meters: python -m edge_agent
    IMPORTER = "importer"  # publishes utilities' files: python -m importers


class Agent(FrozenStrictModel):
    id: Identifier
    kind: AgentKind = Field(default=AgentKind.EDGE, description="edge agent or importer")
    name: str | None = None
    request_gap_s: float = Field(
        default=0.0, ge=0, le=5, description="pause between requests on one bus"
    )
    meters: list[Meter] = Field(default_factory=list)


class Site(FrozenStrictModel):
    id: Identifier
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: SiteKind
    district: str = Field(pattern=r"^\d{5}$", description="5-digit district (자치구) code")
    dong: str = Field(pattern=r"^\d{10}$", description="10-digit administrative dong code")
    building_type: BuildingType
    phase: Literal[1, 2, 3] = 1
    households: int | None = Field(
        default=None, ge=0, description="households behind the site's meters (privacy rule)"
    )
    expected_meters: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SITE_METERS,
        description="meters the site reports, listed or not; default: the listed meters",
    )
    meter_margin: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SITE_METERS,
        description="new meters admitted beyond expected_meters; default: the file's",
    )
    agents: list[Agent] = Field(default_factory=list)
    simulated: bool = Field(
        default=False,
        description="the site's meters are simulated (python -m simulators): every figure "
        "resting on it says so",
    )

    @property
    def listed_meters(self) -> frozenset[str]:
        return frozenset(m.id for a in self.agents for m in a.meters)


class SitesFile(FrozenStrictModel):
    """The top level of config/sites/*.yaml."""

    profiles_dir: str | None = Field(
        default=None, description="where profiles live; default: config/profiles"
    )
    meter_margin: int = Field(
        default=DEFAULT_METER_MARGIN,
        ge=0,
        le=MAX_SITE_METERS,
        description="new meters admitted per site beyond its expected meters",
    )
    programmes: str | None = Field(
        default=None, description="the programmes file, relative to this file"
    )
    households: str | None = Field(
        default=None, description="the households file, relative to this file"
    )
    units: str | None = Field(
        default=None,
        description="the directory of units files (<site>.yaml), relative to this file",
    )
    sites: list[Site] = Field(min_length=1)

    def meter_limit(self, site: Site) -> int:
        """How many distinct meters the cloud accepts under this site."""
        expected = site.expected_meters
        if expected is None:
            expected = len(site.listed_meters)
        margin = self.meter_margin if site.meter_margin is None else site.meter_margin
        return expected + margin
