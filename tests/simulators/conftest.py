"""Fixtures: a small sites file on free ports, and `python -m simulators serve` as a real process."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from devstack import free_port
from tests.support.processes import stop

READY_TIMEOUT_S = 30.0


def sites_yaml(ports: dict[str, int], rtu_device: str | None = None) -> dict:
    """An apartment complex (all five utilities) and a factory, on the given ports."""
    gw = {"type": "tcp", "host": "127.0.0.1", "port": ports["gw"]}
    apt_meters = [
        {
            "id": "elec",
            "utility": "electricity",
            "profile": "eastron_sdm630",
            "connection": {**gw, "unit": 1},
        },
        {
            "id": "gas",
            "utility": "gas",
            "profile": "gw_gas_pulse_v1",
            "connection": {**gw, "unit": 10},
        },
        {
            "id": "water",
            "utility": "water",
            "profile": "gw_water_mbus_v1",
            "connection": {**gw, "unit": 11},
        },
        {
            "id": "heat",
            "utility": "heat",
            "profile": "gw_heat_mbus_v1",
            "connection": {**gw, "unit": 12},
        },
        {
            "id": "pv",
            "utility": "solar",
            "profile": "sunspec_inverter_103",
            "connection": {"type": "tcp", "host": "127.0.0.1", "port": ports["pv"], "unit": 1},
        },
    ]
    if rtu_device:
        apt_meters.append(
            {
                "id": "elec-rtu",
                "utility": "electricity",
                "profile": "eastron_sdm630",
                "connection": {"type": "rtu", "device": rtu_device, "baud": 9600, "unit": 5},
            }
        )
    return {
        "sites": [
            {
                "id": "test-apt",
                "name_ko": "시험 아파트",
                "name_en": "Test apartments",
                "kind": "apartment_complex",
                "district": "29140",
                "dong": "2914083000",
                "building_type": "apartment",
                "households": 100,
                "agents": [{"id": "test-apt-gw", "meters": apt_meters}],
            },
            {
                "id": "test-factory",
                "name_ko": "시험 공장",
                "name_en": "Test factory",
                "kind": "industrial_complex",
                "district": "29200",
                "dong": "2920064000",
                "building_type": "industrial",
                "agents": [
                    {
                        "id": "test-factory-gw",
                        "meters": [
                            {
                                "id": "main-elec",
                                "utility": "electricity",
                                "profile": "eastron_sdm630",
                                "connection": {
                                    "type": "tcp",
                                    "host": "127.0.0.1",
                                    "port": ports["factory"],
                                    "unit": 1,
                                },
                            }
                        ],
                    }
                ],
            },
        ]
    }


@pytest.fixture
def sim_config(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    ports = {"gw": free_port(), "pv": free_port(), "factory": free_port()}
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump(sites_yaml(ports), allow_unicode=True), encoding="utf-8")
    return path, ports


class ServeProcess:
    """`python -m simulators serve ...` with its stdout read on a thread."""

    def __init__(self, args: list[str]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulators", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(
            target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True
        ).start()
        threading.Thread(
            target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True
        ).start()
        self.ready_line = ""

    @staticmethod
    def _pump(stream, sink: Callable[[str], None]) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("READY"):
                self.ready_line = line
                return line
        raise AssertionError(
            f"serve did not print READY (exit {self.proc.poll()}): {' | '.join(self.stderr[-10:])}"
        )

    def stop(self) -> int:
        return stop(self.proc, 10)


@pytest.fixture
def serve() -> Iterator[Callable[..., ServeProcess]]:
    started: list[ServeProcess] = []

    def start(*args: str, ready: bool = True) -> ServeProcess:
        proc = ServeProcess(list(args))
        started.append(proc)
        if ready:
            proc.wait_ready()
        return proc

    try:
        yield start
    finally:
        for proc in started:
            proc.stop()
