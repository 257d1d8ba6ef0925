"""The generated parts of config/README.md, so the docs cannot drift from the code.

`python -m telemetry.config_reference` rewrites the blocks between
`<!-- BEGIN GENERATED name -->` and `<!-- END GENERATED name -->`: the canonical
fields (from telemetry/fields.py), the profile keys with their defaults (from
the profile models) and a worked byte-order example (from the codec itself).
`--check` exits 1 when the README is stale; a test runs it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pydantic import BaseModel

from telemetry.codec import ByteOrder, RegisterType, encode
from telemetry.fields import CONSUMPTION_FIELD, FIELDS, RATE_FIELD
from telemetry.paths import PROJECT_ROOT
from telemetry.registry.profiles import Profile, ProfileConstant, ProfileField

README = PROJECT_ROOT / "config" / "README.md"
EXAMPLE = 123_456_789  # a uint32 counter: 0x075BCD15


def fields_block() -> str:
    lines = []
    for utility, specs in FIELDS.items():
        lines += [f"**{utility.value}**", "", "| field | unit | kind | plausible range | what |"]
        lines.append("|---|---|---|---|---|")
        for spec in specs.values():
            role = _role(utility, spec.name)
            unit = spec.unit or "(none)"
            span = f"{spec.low:g} … {spec.high:g}"
            lines.append(
                f"| `{spec.name}` | {unit} | {spec.kind.value}{role} | {span} | {spec.description} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


def _role(utility: object, name: str) -> str:
    if CONSUMPTION_FIELD.get(utility) == name:  # type: ignore[call-overload]
        return " (consumption)"
    return " (live rate)" if RATE_FIELD.get(utility) == name else ""  # type: ignore[call-overload]


def profile_keys_block() -> str:
    lines = []
    for title, model in (
        ("profile (top level)", Profile),
        ("each entry of `fields:`", ProfileField),
        ("each entry of `constants:`", ProfileConstant),
    ):
        lines += [f"**{title}**", "", "| key | required / default | what |", "|---|---|---|"]
        lines += [_key_row(name, model) for name in _ordered(model)]
        lines.append("")
    return "\n".join(lines).rstrip()


# What a key means, where the model gives no description of its own.
_WHAT = {
    "id": "profile id, as `profile:` in the sites file (lowercase, digits, . _ -)",
    "description": "free text",
    "utility": "electricity, gas, water, heat or solar; the meters using it must match",
    "fields": "the registers read, one entry per canonical field (below)",
    "manufacturer": "free text",
    "model": "free text",
    "max_registers_per_request": "the device's cap on registers per read (Modbus: at most 125)",
    "constants": "registers the device always holds; the simulators serve them",
    "type": "int16 uint16 int32 uint32 int64 uint64 float32 float64",
    "table": "holding (function 03) or input (function 04)",
    "byte_order": "ABCD CDAB BADC DCBA; 64-bit: ABCDEFGH GHEFCDAB BADCFEHG HGFEDCBA",
    "scale": "value = raw × scale × 10^sf + offset",
    "offset": "added after scaling",
    "name": "label (e.g. the SunSpec point name)",
    "value": "the value the register holds",
}


def _ordered(model: type[BaseModel]) -> list[str]:
    fields = model.model_fields
    return sorted(fields, key=lambda n: (not fields[n].is_required(), list(fields).index(n)))


def _key_row(name: str, model: type[BaseModel]) -> str:
    info = model.model_fields[name]
    if info.is_required():
        need = "**required**"
    elif info.default_factory is not None:
        need = "empty"
    else:
        default = info.default
        need = "none" if default is None else f"`{getattr(default, 'value', default)}`"
    return f"| `{name}` | {need} | {info.description or _WHAT.get(name, '')} |"


def byte_order_block() -> str:
    raw = encode(EXAMPLE, RegisterType.UINT32, ByteOrder.ABCD)
    wire = [f"{b:02X}" for r in raw for b in (r >> 8, r & 0xFF)]
    letters = dict(zip("ABCD", wire, strict=True))
    lines = [
        f"The value {EXAMPLE:,} as `uint32` is 0x{EXAMPLE:08X}: bytes "
        + ", ".join(f"{k} = {v}" for k, v in letters.items())
        + " (A most significant). Each order names the bytes as they arrive,"
        " register by register, high byte of each register first:",
        "",
        "| order | bytes on the wire | register 1 | register 2 | meaning |",
        "|---|---|---|---|---|",
    ]
    meaning = {
        ByteOrder.ABCD: "big-endian, high word first",
        ByteOrder.CDAB: "low word first (word swap)",
        ByteOrder.BADC: "bytes swapped inside each word",
        ByteOrder.DCBA: "fully little-endian",
    }
    for order, text in meaning.items():
        regs = encode(EXAMPLE, RegisterType.UINT32, order)
        seq = " ".join(letters[c] for c in order.value)
        lines.append(
            f"| `{order.value}` | {seq} | 0x{regs[0]:04X} ({regs[0]}) "
            f"| 0x{regs[1]:04X} ({regs[1]}) | {text} |"
        )
    return "\n".join(lines)


BLOCKS = {
    "byte-orders": byte_order_block,
    "canonical-fields": fields_block,
    "profile-keys": profile_keys_block,
}


def refresh(text: str) -> str:
    """`text` with every generated block rewritten; a missing marker is an error."""
    for name, render in BLOCKS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED {name} [^\n]*-->\n).*?(<!-- END GENERATED {name} -->)",
            re.DOTALL,
        )
        if not pattern.search(text):
            raise ValueError(f"config/README.md: no GENERATED {name} markers")
        text = pattern.sub(lambda m, r=render: f"{m.group(1)}{r()}\n{m.group(2)}", text)
    return text


def main(argv: list[str], readme: Path = README) -> int:
    text = readme.read_text(encoding="utf-8")
    fresh = refresh(text)
    if "--check" in argv:
        if fresh != text:
            print(f"{readme}: stale; run python -m telemetry.config_reference", file=sys.stderr)
            return 1
        return 0
    readme.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
