"""Helpers for the collector tests: a collector subprocess, a QoS 1 publisher, counts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devstack import flags, free_port
from devstack.ports import anchor_paths
from telemetry.models import Reading, ReadingBatch
from telemetry.topics import readings_topic
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
SITE, AGENT = "hanam-ic", "hanam-gw-a"
SITE2, AGENT2 = "pyeongdong-ic", "pyeongdong-gw"


@dataclass
class CollectorProc:
    """`python -m collector run` as a real subprocess."""

    workdir: Path
    mqtt_url: str
    influx_url: str
    bucket: str
    instance: str
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        self.health_port = free_port()
        self.metrics_port = free_port()

    @property
    def log_path(self) -> Path:
        return self.workdir / f"collector-{self.instance}.log"

    def start(self, wait: bool = True) -> CollectorProc:
        argv = [sys.executable, "-m", "collector", "run"] + flags(
            mqtt_url=self.mqtt_url,
            influx_url=self.influx_url,
            influx_bucket=self.bucket,
            instance=self.instance,
            health_port=self.health_port,
            metrics_port=self.metrics_port,
            flush_interval=0.2,
        )
        argv += self.extra
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.starts += 1
        with self.log_path.open("ab") as out:
            out.write(f"--- start {self.starts}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                argv,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        if wait:
            self.wait_ready()
        return self

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.health_port}/readyz", timeout=1
            ) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, timeout: float = 20.0) -> None:
        def exited() -> str | None:
            if self.proc is not None and self.proc.poll() is not None:
                return f"collector exited {self.proc.returncode}"
            return None

        wait_until(
            self.ready,
            timeout,
            f"collector {self.instance} ready",
            logs=self.log_tail,
            give_up=exited,
        )

    def metrics(self) -> dict[str, float]:
        """Prometheus text, as {'name{labels}': value}."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2
        ) as r:
            text = r.read().decode()
        out: dict[str, float] = {}
        for row in text.splitlines():
            if row and not row.startswith("#"):
                key, _, value = row.rpartition(" ")
                out[key] = float(value)
        return out

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, n: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


def demo_config(workdir: Path, meter_margin: int, expected: dict[str, int] | None = None) -> Path:
    """The demo sites file with another meter margin (and expected meters per site)."""
    text = (REPO / "config" / "sites" / "demo.yaml").read_text(encoding="utf-8")
    for site, n in (expected or {}).items():
        text = text.replace(f"  - id: {site}\n", f"  - id: {site}\n    expected_meters: {n}\n")
    path = workdir / f"demo-margin-{meter_margin}.yaml"
    text = anchor_paths(text, REPO / "config" / "sites")  # the copy finds the phase-2 files
    path.write_text(f"meter_margin: {meter_margin}\n{text}", encoding="utf-8")
    return path


def make_batch(
    site: str, agent: str, seq: int, n: int, t0: datetime, meter_prefix: str = "m"
) -> ReadingBatch:
    """n readings, one per meter, all at t0 + seq seconds: every reading a distinct point."""
    ts = t0 + timedelta(seconds=seq)
    readings = [
        Reading(
            meter=f"{meter_prefix}{j:04d}",
            utility="electricity",
            ts=ts,
            values={"power_kw": float(seq * 10_000 + j), "energy_kwh": seq + j / 1000},
        )
        for j in range(n)
    ]
    return ReadingBatch(site=site, agent=agent, seq=seq, readings=readings)


def recent_t0(minutes_back: float = 30) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=minutes_back)).replace(microsecond=0)


class Publisher:
    """A QoS 1 MQTT v5 publisher that waits for each PUBACK (what the edge agent does)."""

    def __init__(self, host: str, port: int, client_id: str = "test-publisher") -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.connect(host, port)
        self.client.loop_start()
        self.sent = 0

    def publish(self, topic: str, payload: bytes, timeout: float = 10.0) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise AssertionError(f"no PUBACK for {topic} within {timeout} s")
        self.sent += 1

    def batch(self, b: ReadingBatch) -> None:
        self.publish(readings_topic(b.site, b.agent), b.to_json())

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class SteadyStream:
    """Publishes batches at a fixed pace in a thread until stopped; counts readings."""

    def __init__(
        self,
        pub: Publisher,
        per_batch: int,
        pace_s: float,
        t0: datetime,
        site: str = SITE,
        agent: str = AGENT,
    ) -> None:
        self.pub, self.per_batch, self.pace_s, self.t0 = pub, per_batch, pace_s, t0
        self.site, self.agent = site, agent
        self.seq = 0
        self.readings = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> SteadyStream:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.pub.batch(make_batch(self.site, self.agent, self.seq, self.per_batch, self.t0))
                self.seq += 1
                self.readings += self.per_batch
                self._stop.wait(self.pace_s)
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self.error:
            raise self.error

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def influx_rows(url: str, q: str, db: str, epoch: str | None = None) -> list[dict]:
    params = {"q": q, "db": db} | ({"epoch": epoch} if epoch else {})
    data = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(f"{url}/query", data=data, timeout=10) as r:
        body = json.load(r)
    out: list[dict] = []
    for res in body.get("results", []):
        if "error" in res:
            raise AssertionError(res["error"])
        for s in res.get("series", []):
            out += [
                {**(s.get("tags") or {}), **dict(zip(s["columns"], v, strict=False))}
                for v in s["values"]
            ]
    return out


def stored_count(url: str, db: str, measurement: str = "electricity", fld: str = "power_kw") -> int:
    rows = influx_rows(url, f'SELECT count("{fld}") FROM "{measurement}"', db)
    return int(rows[0]["count"]) if rows else 0


def stored_sum(url: str, db: str, measurement: str = "electricity", fld: str = "power_kw") -> float:
    rows = influx_rows(url, f'SELECT sum("{fld}") FROM "{measurement}"', db)
    return float(rows[0]["sum"]) if rows else 0.0


def expected_sum(batches: int, per_batch: int) -> float:
    return float(sum(seq * 10_000 + j for seq in range(batches) for j in range(per_batch)))


def rejected_total(metrics: dict[str, float]) -> float:
    """All rejections, whatever the reason (the counter exists per reason label)."""
    return sum(v for k, v in metrics.items() if k.startswith("collector_rejected_total{"))


# The `start_collector` fixture of tests/collector/conftest.py.
StartCollector = Callable[..., CollectorProc]
