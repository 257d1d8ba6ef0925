"""What the demo prints: the table of running processes, where to look, and exits."""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from devstack.city import Filled
from devstack.platform import Platform
from devstack.supervisor import Child, cpu_seconds


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Plain left-aligned columns under a dashed rule (tests read the pids from it)."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def api_examples(base: str, limit: int = 6) -> list[str]:
    """A few GET paths without parameters, read from the API's own OpenAPI document."""
    paths = ["/v1/city/live"]
    with contextlib.suppress(httpx.HTTPError, ValueError):
        spec = httpx.get(f"{base}/openapi.json", timeout=5).json()
        for path, ops in spec.get("paths", {}).items():
            plain = "{" not in path and "stream" not in path  # no parameters, not endless
            if "get" in ops and plain and path not in paths and path.startswith("/v1"):
                paths.append(path)
    return paths[:limit]


def announce(
    platform: Platform, services: Sequence[tuple[str, int | None, str]], workdir: Path
) -> None:
    """The running processes with pids and ports, then how to reach each part."""
    rows = [(name, pid or "-", ports) for name, pid, ports in services]
    rows += [(c.name, c.pid or "-", c.ports) for c in platform.children]
    print("\nRunning:\n" + table(rows, ["process", "pid", "ports"]))
    print(f"\nLogs: {workdir / 'logs'}/<process>.log")
    if platform.api_port is not None:
        base = f"http://127.0.0.1:{platform.api_port}"
        print(f"\nPortal:     {base}/   (citizens' pages: city now, map, dongs)")
        print(f"Board:      {base}/board   (residents' participation board, example posts)")
        print(f"Surveys:    {base}/surveys")
        print(f"API docs:   {base}/docs")
        print("Try:")
        for path in api_examples(base):
            print(f"  curl -s {base}{path}")
    print(
        f"\nInfluxDB (InfluxQL over /query): {platform.influx_url}   "
        f"databases {platform.raw_bucket}, {platform.public_bucket}"
    )
    print(
        f"Grafana boards' queries against it: python -m dashboards check "
        f"--influx-url {platform.influx_url}"
    )
    print(
        f"MQTT: {platform.mqtt_url}   e.g. mosquitto_sub -L '{platform.mqtt_url}/energy/v1/+/+/status' -v"
    )
    print("\nCtrl-C stops everything.\n", flush=True)


def households(link: str, slips: Sequence[str]) -> None:
    """A household's link (a unit's new tenant, after the last one moved out) and a code
    sheet of the demo's households (python -m api sign-household, codes)."""
    if link:
        print("Household link (unit 101-1203 of pungam-lh-apt, its new tenant; the old "
              "tenant's link has ended):")  # fmt: skip
        print("\n".join(f"  {line}" for line in link.splitlines()))
    if slips:
        print("Participation codes (each shown only now):")
        print("\n".join(f"  {line.strip()}" for line in slips))
    print()


def staff_accounts(platform: Platform, accounts: Sequence[tuple[str, str, str]]) -> None:
    """The demo's staff accounts, their passwords printed this once, and where to sign in."""
    if not accounts or platform.api_port is None:
        return
    base = f"http://127.0.0.1:{platform.api_port}"
    print("Staff accounts (one per role; the passwords are shown only now):")
    print(table(accounts, ["name", "role", "password"]))
    print(f"Sign in at {base}/staff/signin  (board staff view: {base}/board/staff, "
          f"audit log: {base}/staff/audit)", flush=True)  # fmt: skip
    for name, role, password in accounts:
        if role.startswith("facility_manager (") and role.endswith(")"):
            site = role[len("facility_manager (") : -1]
            print(f"Facility manager's live page: {base}/facility/{site}  "
                  f"(sign in as {name}, password {password})", flush=True)  # fmt: skip
        elif role == "operator":
            print(f"Operators' fleet page:        {base}/operations  "
                  f"(sign in as {name}, password {password})", flush=True)  # fmt: skip
    print(flush=True)


def city_ready(filled: Filled | None, seconds: float) -> None:
    """Where the city demo's set-up ended: the portal's dongs and districts, and when."""
    if filled is None:
        say(f"!! the portal did not answer after {seconds:.0f} s")
    elif filled.done:
        say(f"City set-up ended after {seconds:.0f} s: {filled.line()}.")
    else:
        say(f"!! city set-up incomplete after {seconds:.0f} s: {filled.line()}")


def cpu_use(processes: Sequence[tuple[str, int | None]], seconds: float) -> None:
    """CPU seconds each process used so far, and of the finished ones (the fleet over the
    past, the set-up commands), against the wall time: what the city costs this box."""
    used = [(name, cpu_seconds(pid)) for name, pid in processes]
    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    used.append(("finished children", finished.ru_utime + finished.ru_stime))
    total = sum(c for _n, c in used)
    top = ", ".join(f"{name} {c:.0f}" for name, c in sorted(used, key=lambda x: -x[1]) if c >= 1)
    say(f"CPU seconds during set-up ({seconds:.0f} s, {total / seconds:.2f} cores): {top}")


def city_pages(platform: Platform, seconds: float) -> None:
    """The pages worth opening once the city is on screen."""
    base = platform.base_url()
    print(f"The city is on screen ({seconds:.0f} s since the start). Open:")
    for path, what in (
        ("/map", "every dong coloured, or hatched and labelled where withheld"),
        ("/", "the city now, the five districts' live figures"),
        ("/map?period=month", "this month by dong"),
        ("/building-types", "by building type"),
        ("/districts/29200", "a district, its dongs and trend"),
        ("/dongs/2920064000", "a dong's page (Hanam, with the phase-1 industrial complex)"),
    ):
        print(f"  {base}{path}   ({what})")
    print(flush=True)


def report_exit(child: Child) -> None:
    print(
        f"!! {child.name} (pid {child.pid}) exited with code {child.returncode}; "
        f"last log lines:\n{child.log_tail()}",
        flush=True,
    )


def say(text: str) -> None:
    print(text, flush=True)
