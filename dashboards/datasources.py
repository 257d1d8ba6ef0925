"""The two Grafana data sources and the organisations they live in (DESIGN.md "Security model").

Staff (facility managers, operators) log in to the main organisation, whose
data source reads the private `energy` bucket. Citizens are anonymous Viewers
in their own organisation, whose only data source carries a token that reads
`energy_public` and nothing else: Viewers can send any query to any data
source of their organisation, so the token is the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STAFF_ORG_ID = 1
CITIZENS_ORG_NAME = "광주 시민 에너지 (Citizens)"


@dataclass(frozen=True)
class DataSource:
    uid: str
    name: str
    database: str
    token_env: str  # environment variable Grafana (or `push`) reads the token from

    @property
    def ref(self) -> dict[str, str]:
        """How a panel or target points at this data source."""
        return {"type": "influxdb", "uid": self.uid}

    def definition(self, url: str, token: str) -> dict[str, Any]:
        """The data source as Grafana's provisioning file and HTTP API both take it.

        InfluxQL over /query with an `Authorization: Token ...` header is how
        Grafana reads InfluxDB 2.x (through its DBRP mapping) and 3.x.
        """
        return {
            "uid": self.uid,
            "name": self.name,
            "type": "influxdb",
            "access": "proxy",
            "url": url,
            "isDefault": True,
            "editable": False,
            "jsonData": {
                "version": "InfluxQL",
                "dbName": self.database,
                "httpMode": "POST",
                "timeInterval": "10s",
                "httpHeaderName1": "Authorization",
            },
            "secureJsonData": {"httpHeaderValue1": f"Token {token}"},
        }


STAFF = DataSource(
    uid="energy-influx",
    name="에너지 원시 데이터 (energy)",
    database="energy",
    token_env="INFLUX_GRAFANA_TOKEN",
)
PUBLIC = DataSource(
    uid="energy-public-influx",
    name="공개 에너지 통계 (energy_public)",
    database="energy_public",
    token_env="INFLUX_CITIZENS_TOKEN",
)
ALL = (STAFF, PUBLIC)
