"""Simulator benchmark: Modbus requests/s served and fleet readings/s published.

Each figure is printed next to a baseline measured in the same run:
- `serve` (one simulated SDM630 with its live load model) against a bare
  pymodbus server holding a fixed register block, both read by the same
  pymodbus client loop (80 input registers per request);
- `fleet` against a bare paho-mqtt loop publishing a pre-built batch of the
  same size at QoS 1, both to the same local Mosquitto.

Run: python -m bench.bench_simulators   (about 40 s; nothing is asserted)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import typer
import yaml
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pymodbus.client import ModbusTcpClient

from devstack import MosquittoServer, free_port, wait_for_port
from telemetry.models import Reading, ReadingBatch

SECONDS = 5.0
REGISTERS = 76  # the SDM630 profile's 0..75
FLEET_AGENTS = 20
FLEET_METERS = 50

BARE_SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    async def main(port):
        device = SimDevice(1, simdata=[SimData(0, values=list(range(200)), datatype=DataType.REGISTERS)])
        server = ModbusTcpServer([device], address=("127.0.0.1", port))
        await server.serve_forever()

    asyncio.run(main(int(sys.argv[1])))
    """
)


def _client_loop(port: int) -> float:
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
    assert client.connect()
    try:
        for _ in range(50):  # warm up
            client.read_input_registers(0, count=REGISTERS, device_id=1)
        done = 0
        began = time.perf_counter()
        while time.perf_counter() - began < SECONDS:
            rr = client.read_input_registers(0, count=REGISTERS, device_id=1)
            assert not rr.isError(), rr
            done += 1
        return done / (time.perf_counter() - began)
    finally:
        client.close()


def _sites_file(directory: Path, port: int) -> Path:
    doc = {
        "sites": [
            {
                "id": "bench-site",
                "name_ko": "벤치",
                "name_en": "Bench",
                "kind": "industrial_complex",
                "district": "29200",
                "dong": "2920064000",
                "building_type": "industrial",
                "agents": [
                    {
                        "id": "bench-gw",
                        "meters": [
                            {
                                "id": "elec",
                                "utility": "electricity",
                                "profile": "eastron_sdm630",
                                "connection": {
                                    "type": "tcp",
                                    "host": "127.0.0.1",
                                    "port": port,
                                    "unit": 1,
                                },
                            }
                        ],
                    }
                ],
            }
        ]
    }
    path = directory / "bench_sites.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def bench_modbus(directory: Path) -> tuple[float, float]:
    bare_port = free_port()
    bare = subprocess.Popen(
        [sys.executable, "-c", BARE_SERVER, str(bare_port)], stderr=subprocess.DEVNULL
    )
    try:
        assert wait_for_port("127.0.0.1", bare_port, 20)
        baseline = _client_loop(bare_port)
    finally:
        bare.terminate()
        bare.wait(10)
    port = free_port()
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators",
            "serve",
            "--config",
            str(_sites_file(directory, port)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stdout is not None and serve.stdout.readline().startswith("READY")
        simulated = _client_loop(port)
    finally:
        serve.terminate()
        serve.wait(10)
    return simulated, baseline


def _bare_paho(broker: MosquittoServer) -> float:
    """One client publishing the same-sized batch at QoS 1, as fast as acknowledgements allow."""
    ts = datetime.now(UTC)
    payload = ReadingBatch(
        site="bench-site",
        agent="bench-gw",
        seq=0,
        readings=[
            Reading(
                meter=f"m{i}",
                utility="electricity",
                ts=ts,
                values={"energy_kwh": 1.0 + i, "power_kw": 2.0},
            )
            for i in range(FLEET_METERS)
        ],
    ).to_json()
    acked = [0]
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="bench-bare",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(200)
    client.on_publish = lambda *_a: acked.__setitem__(0, acked[0] + 1)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        sent = 0
        began = time.perf_counter()
        while time.perf_counter() - began < SECONDS:
            client.publish("energy/v1/bench-site/bench-gw/readings", payload, qos=1)
            sent += 1
            while sent - acked[0] > 400:  # keep the queue bounded, like the fleet
                time.sleep(0.0005)
        while acked[0] < sent:
            time.sleep(0.01)
        return acked[0] * FLEET_METERS / (time.perf_counter() - began)
    finally:
        client.loop_stop()
        client.disconnect()


def bench_fleet(directory: Path) -> tuple[float, float]:
    broker = MosquittoServer(directory / "broker")
    (directory / "broker").mkdir(exist_ok=True)
    broker.start()
    try:
        baseline = _bare_paho(broker)
        out = subprocess.run(
            [sys.executable, "-m", "simulators", "fleet", "--agents", str(FLEET_AGENTS),
             "--meters-per-agent", str(FLEET_METERS), "--interval", "0.001",
             "--duration", str(SECONDS), "--mqtt-url", broker.url],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        match = re.search(r"readings=(\d+) seconds=([\d.]+)", out)
        assert match, out
        fleet = int(match.group(1)) / float(match.group(2))
    finally:
        broker.stop()
    return fleet, baseline


def main() -> None:
    """Simulators' Modbus and fleet throughput against bare baselines (see bench/README.md)."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        served, bare = bench_modbus(directory)
        print(f"modbus  serve (live SDM630 model): {served:8.0f} requests/s")
        print(f"modbus  bare pymodbus fixed block: {bare:8.0f} requests/s")
        print(f"modbus  ratio serve/bare:          {served / bare:8.2f}")
        fleet, paho = bench_fleet(directory)
        print(
            f"fleet   {FLEET_AGENTS} agents x {FLEET_METERS} meters:  {fleet:8.0f} readings/s acknowledged"
        )
        print(f"fleet   bare paho loop, same batch:  {paho:8.0f} readings/s acknowledged")
        print(f"fleet   ratio fleet/bare:          {fleet / paho:8.2f}")


if __name__ == "__main__":
    typer.run(main)
