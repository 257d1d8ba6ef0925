"""A component's command-line flags from keyword arguments, spelt as DESIGN.md fixes them.

Tests, benches and the demo start components with the same flags; written as
keywords, the `influx_url=` → `--influx-url` spelling lives in one place.
"""

from __future__ import annotations


def flags(**values: object) -> list[str]:
    """`flags(influx_url=u, every=5)` → `["--influx-url", u, "--every", "5"]`.

    Values are turned into strings; a None value is left out, so an optional
    flag can be passed through as it is.
    """
    out: list[str] = []
    for name, value in values.items():
        if value is not None:
            out += ["--" + name.replace("_", "-"), str(value)]
    return out
