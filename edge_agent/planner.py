"""Read planning: which Modbus requests fetch a profile's registers.

Contiguous and near-contiguous registers of one table are read in one request
(DESIGN.md "Reliability model"): spans are merged while the hole between them
is at most the profile's `max_gap` and the request stays within the device cap
(at most 125 registers, the Modbus limit). A field's SunSpec scale register is
a span of its own in the same table, so it rides along in the same request.

A device that answers "illegal data address" (exception 2) to a coalesced
request usually has a hole in its map; `split` cuts the block in two so the
next cycle asks for smaller pieces, down to single spans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from telemetry.registry.profiles import MODBUS_MAX_REGISTERS, Profile, Table


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Registers that must be read together (one value, or one scale register)."""

    table: Table
    start: int
    count: int

    @property
    def end(self) -> int:
        return self.start + self.count


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: a table, a start address and the spans it covers."""

    table: Table
    spans: tuple[Span, ...]

    @property
    def start(self) -> int:
        return self.spans[0].start

    @property
    def end(self) -> int:
        return max(s.end for s in self.spans)

    @property
    def count(self) -> int:
        return self.end - self.start


def profile_spans(profile: Profile) -> list[Span]:
    """Every span a profile needs: its fields and their scale registers, deduplicated."""
    spans = {Span(f.table, f.address, f.width) for f in profile.fields}
    spans |= {Span(f.table, f.scale_register, 1) for f in profile.fields if f.scale_register}
    return sorted(spans)


def effective_cap(profile: Profile, device_cap: int | None = None) -> int:
    """The smallest of the Modbus limit, the profile's and the operator's per-device cap."""
    caps = [MODBUS_MAX_REGISTERS, profile.max_registers_per_request]
    if device_cap:
        caps.append(device_cap)
    return min(caps)


def coalesce(spans: Iterable[Span], max_gap: int, cap: int) -> list[Block]:
    """Merge sorted spans of one table into blocks no longer than `cap` registers."""
    blocks: list[Block] = []
    current: list[Span] = []
    for span in sorted(spans):
        if current and _fits(current, span, max_gap, cap):
            current.append(span)
            continue
        if current:
            blocks.append(Block(current[0].table, tuple(current)))
        current = [span]
    if current:
        blocks.append(Block(current[0].table, tuple(current)))
    return blocks


def _fits(current: list[Span], span: Span, max_gap: int, cap: int) -> bool:
    if span.table != current[0].table:
        return False
    end = max(s.end for s in current)
    gap = span.start - end
    return gap <= max_gap and max(end, span.end) - current[0].start <= cap


def plan_reads(
    profile: Profile, device_cap: int | None = None, coalesced: bool = True
) -> list[Block]:
    """The requests one poll of a meter with this profile makes.

    `coalesced=False` is the naive plan (one request per value), kept for the
    benchmark's baseline and for gateways that cannot do better.
    """
    spans = profile_spans(profile)
    if not coalesced:
        return [Block(s.table, (s,)) for s in spans]
    return coalesce(spans, profile.max_gap, effective_cap(profile, device_cap))


def split(block: Block) -> list[Block]:
    """Cut a block in two halves of its spans; a single span cannot be split."""
    if len(block.spans) < 2:
        return [block]
    half = len(block.spans) // 2
    return [Block(block.table, block.spans[:half]), Block(block.table, block.spans[half:])]
