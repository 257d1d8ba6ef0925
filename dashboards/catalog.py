"""Which board goes in which folder of which organisation."""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.boards import citizens, facility, operations
from dashboards.datasources import PUBLIC, STAFF, DataSource
from dashboards.model import Dashboard


@dataclass(frozen=True)
class Folder:
    uid: str
    title: str
    directory: str  # under dashboards/generated/
    citizens: bool  # True: the anonymous citizens' organisation; False: the staff organisation
    datasource: DataSource


FACILITY = Folder("energy-facility", "사업장 (Facilities)", "facility", False, STAFF)
OPERATIONS = Folder("energy-operations", "운영 (Operations)", "operations", False, STAFF)
CITIZENS = Folder("energy-citizens", "시민 (Citizens)", "citizens", True, PUBLIC)
FOLDERS = (FACILITY, OPERATIONS, CITIZENS)


def catalog() -> list[tuple[Folder, Dashboard]]:
    """Every board with its folder, in a stable order."""
    return [
        (FACILITY, facility.board()),
        (OPERATIONS, operations.board()),
        *((CITIZENS, board) for board in citizens.boards()),
    ]
