"""Real processes for the integration tests: simulators, the agent, an MQTT subscriber.

Ports: each test copies its config with every `port:` shifted by an offset
whose ports are free right now (`devstack.shifted_config`), since other test
runs share the machine.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devstack import flags, free_port
from telemetry.models import AgentStatus, ReadingBatch
from tests.support.processes import kill, start_logged, stop
from tests.support.waiting import true_within

HERE = Path(__file__).parent
CONFIGS = HERE / "configs"
ROOT = HERE.parent.parent


class Proc:
    """A `python -m ...` child with its output in a file; always cleaned up."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.proc = start_logged([sys.executable, *argv], log, env)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        def stacks() -> None:  # the agent prints every thread's stack on SIGUSR1: into the log
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1)

        return stop(self.proc, timeout, before_kill=stacks)

    def kill(self) -> None:
        kill(self.proc)


def start_simulators(config: Path, log: Path, *args: str, timeout: float = 20.0) -> Proc:
    proc = Proc(["-m", "simulators", "serve", "--config", str(config), *args], log)
    if (
        not true_within(lambda: "READY" in proc.text() or not proc.alive(), timeout, 0.05)
        or not proc.alive()
    ):
        proc.kill()
        raise RuntimeError(f"simulators did not start:\n{proc.text()}")
    return proc


def start_agent(
    config: Path,
    agent: str,
    mqtt_url: str,
    outbox: Path,
    log: Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> Proc:
    # A short reconnect backoff cap keeps the outage tests short.
    env = {"ENERGY_MQTT_RECONNECT_MAX_S": "2", **(env or {})}
    argv = ["-m", "edge_agent"] + flags(
        config=config, agent=agent, mqtt_url=mqtt_url, outbox=outbox
    )
    return Proc([*argv, *args], log, env)


def start_watched_agent(config: Path, agent: str, mqtt_url: str, workdir: Path) -> tuple[Proc, int]:
    """An agent with its outbox and log in `workdir`, status every second and metrics
    on a free port; the process and that port."""
    port = free_port()
    proc = start_agent(
        config,
        agent,
        mqtt_url,
        workdir / "outbox.sqlite",
        workdir / "agent.log",
        "--metrics-port",
        str(port),
        "--status-interval",
        "1",
    )
    return proc, port


def outbox_state(path: Path) -> tuple[list[int], int]:
    """(seqs still in the outbox, next seq), read straight from the agent's SQLite file."""
    db = sqlite3.connect(path)
    try:
        seqs = [r[0] for r in db.execute("SELECT seq FROM batches ORDER BY seq")]
        next_seq = db.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()[0]
        return seqs, int(next_seq)
    finally:
        db.close()


def outbox_progress(path: Path) -> tuple[list[int], int]:
    """`outbox_state` for waiting loops: ([], 0) until the agent has created its schema.

    The agent opens (and so creates) the SQLite file before its first transaction
    makes the tables; a reader polling in between must not fail.
    """
    if not path.exists():
        return [], 0
    try:
        return outbox_state(path)
    except sqlite3.OperationalError:
        return [], 0


class Subscriber:
    """Collects readings and status of one agent, with a persistent session (QoS 1)."""

    def __init__(
        self,
        host: str,
        port: int,
        site: str,
        agent: str,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.batches: list[ReadingBatch] = []
        self.statuses: list[AgentStatus] = []
        self.raw: list[tuple[str, bytes]] = []
        self.topic = f"energy/v1/{site}/{agent}/"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-sub-{agent}-{os.getpid()}",
            protocol=mqtt.MQTTv5,
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe(self.topic + "#", qos=1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.reconnect_delay_set(1, 2)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect(host, port, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        with self.lock:
            self.raw.append((msg.topic, msg.payload))
            if msg.topic.endswith("/readings"):
                self.batches.append(ReadingBatch.from_json(msg.payload))
            elif msg.topic.endswith("/status"):
                self.statuses.append(AgentStatus.from_json(msg.payload))

    def seqs(self) -> list[int]:
        with self.lock:
            return [b.seq for b in self.batches]

    def readings(self):
        with self.lock:
            return [r for b in self.batches for r in b.readings]

    def last_status(self) -> AgentStatus | None:
        with self.lock:
            return self.statuses[-1] if self.statuses else None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def first_arrival_order(seqs: list[int]) -> list[int]:
    """Seqs in the order they first arrived (QoS 1 may repeat one; that is not a loss)."""
    seen: set[int] = set()
    out = []
    for s in seqs:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def metrics_text(port: int) -> str:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def metric_value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def dump(*procs: Proc) -> str:
    return "\n".join(f"--- {p.log.name}\n{p.text()[-4000:]}" for p in procs)
