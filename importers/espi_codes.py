"""The ESPI (Green Button) codes this importer understands, and what they become.

Codes from NAESB REQ.21 ESPI as Green Button files use them: ServiceKind
(UsagePoint/ServiceCategory/kind), UnitSymbolKind (ReadingType/uom),
FlowDirectionKind (ReadingType/flowDirection) and AccumulationKind
(ReadingType/accumulationBehaviour). Anything else is refused by name: a
guessed unit would store a wrong number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from telemetry.fields import Utility

ESPI_NS = "http://naesb.org/espi"
ATOM_NS = "http://www.w3.org/2005/Atom"

SERVICE_KIND: dict[int, Utility] = {
    0: Utility.ELECTRICITY,
    1: Utility.GAS,
    2: Utility.WATER,
    4: Utility.HEAT,
}

FLOW_FORWARD, FLOW_REVERSE = 1, 19
ACC_BULK, ACC_DELTA = 1, 4  # bulkQuantity (a register), deltaData (amount per interval)

UOM_W, UOM_J, UOM_M3, UOM_WH = 38, 31, 42, 72
_UOM_NAMES = {UOM_W: "W", UOM_J: "J", UOM_M3: "m³", UOM_WH: "Wh"}
# uom -> how many of it make one kWh (a divisor keeps decimal values exact: 410 Wh -> 0.41)
_PER_KWH = {UOM_WH: 1_000, UOM_J: 3_600_000}


@dataclass(frozen=True, slots=True)
class Quantity:
    field: str
    divisor: int  # file units per canonical unit

    def convert(self, raw: int, power_of_ten: int) -> float:
        """raw × 10^power_of_ten, in the canonical unit, rounded once."""
        return float(Decimal(raw).scaleb(power_of_ten) / self.divisor)


def quantity(utility: Utility, uom: int, flow: int) -> Quantity | str:
    """The canonical field and conversion factor, or why the combination is refused."""
    if uom == UOM_W:
        return "uom 38 (W) is a rate, not an amount; consumption is never a sum of rates"
    if uom not in _UOM_NAMES:
        return f"unknown unit of measure uom={uom} (accepted: 72 Wh, 31 J, 42 m³)"
    if flow not in (FLOW_FORWARD, FLOW_REVERSE):
        return f"unknown flowDirection {flow} (accepted: 1 forward, 19 reverse)"
    if flow == FLOW_REVERSE and utility is not Utility.ELECTRICITY:
        return f"reverse flow (19) is only stored for electricity, not {utility.value}"
    if uom in _PER_KWH:
        if utility not in (Utility.ELECTRICITY, Utility.HEAT):
            return f"uom {uom} ({_UOM_NAMES[uom]}) is energy; {utility.value} is stored in m³"
        field = "energy_export_kwh" if flow == FLOW_REVERSE else "energy_kwh"
        return Quantity(field, _PER_KWH[uom])
    if utility not in (Utility.GAS, Utility.WATER):
        return f"uom 42 (m³) is a volume; {utility.value} is stored in kWh"
    return Quantity("volume_m3", 1)
