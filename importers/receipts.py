"""An import's receipt: per meter, what the collector stored and what it refused, and why.

Built from the collector's batch receipts (telemetry/receipts.py) against what
was sent: a reading the receipts do not account for is refused as
`unaccounted`, so the importer never reports stored what was not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from telemetry.readings_v2 import AnyReading
from telemetry.receipts import WHOLE_BATCH, BatchReceipt, MeterReceipt

UNACCOUNTED = "unaccounted"


class ImportReceipt(BaseModel):
    """What one import stored and refused, per meter (and an example per reason)."""

    import_id: str
    file: str
    meters: dict[str, MeterReceipt] = Field(default_factory=dict)
    details: dict[str, str] = Field(default_factory=dict)

    def stored(self) -> int:
        return sum(m.stored for m in self.meters.values())

    def refused(self) -> int:
        return sum(m.refused_total() for m in self.meters.values())

    def add(self, sent: Sequence[AnyReading], answer: BatchReceipt) -> None:
        """One batch's answer, reconciled with the readings it carried."""
        whole = answer.meters.get(WHOLE_BATCH)
        leftover = next(iter(whole.refused), UNACCOUNTED) if whole else UNACCOUNTED
        for meter, n in Counter(r.meter for r in sent).items():
            got = answer.meters.get(meter, MeterReceipt())
            mine = self.meters.setdefault(meter, MeterReceipt())
            stored = min(got.stored, n)
            mine.stored += stored
            left = n - stored
            for reason, k in got.refused.items():
                k = min(k, left)
                mine.refused[reason] = mine.refused.get(reason, 0) + k
                left -= k
            if left:
                mine.refused[leftover] = mine.refused.get(leftover, 0) + left
                if leftover == UNACCOUNTED:
                    self.details.setdefault(UNACCOUNTED, "the collector's receipt did not name it")
        for reason, detail in answer.details.items():
            self.details.setdefault(reason, detail)

    def table(self) -> list[str]:
        """The receipt as printed: one line per meter, then why readings were refused."""
        width = max([len("meter"), *(len(m) for m in self.meters)])
        out = [f"{'meter':<{width}}  {'stored':>7}  {'refused':>7}  reasons"]
        for meter, r in sorted(self.meters.items()):
            why = ", ".join(f"{k} {n}" for k, n in sorted(r.refused.items()))
            out.append(f"{meter:<{width}}  {r.stored:>7}  {r.refused_total():>7}  {why}".rstrip())
        out += [f"refused {reason}: {detail}" for reason, detail in sorted(self.details.items())]
        return out
