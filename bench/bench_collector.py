"""Collector benchmark: readings/s end to end vs InfluxDB's own ceiling, lag, RSS.

    python -m bench.bench_collector [--minutes 10] [--readings 300000]

1. Ceiling: the same line protocol the collector writes, posted straight to
   InfluxDB with influxdb-client (gzip, ms) in 5,000-line batches.
2. Throughput: the same readings published to Mosquitto (QoS 1, 100 readings
   per message, as one agent poll cycle) and timed until the collector has
   written them all. Ratio = throughput / ceiling (goal >= 0.6).
3. Steady run for --minutes at half the measured throughput: p50/p99 lag from
   reading time to stored (the collector's lag histogram) and the collector's
   RSS over the run.

Real Mosquitto and InfluxDB 1.6 (devstack) in a temporary directory. Figures
depend on the machine and what else runs on it; compare the ratio, not the
absolute numbers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import paho.mqtt.client as mqtt
import typer
import yaml
from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from paho.mqtt.enums import CallbackAPIVersion

from collector.validate import Limits, Validator
from collector.verdict import Accepted, Delivery
from devstack import InfluxServer, MosquittoServer, flags, free_port
from telemetry.registry import load_registry
from telemetry.topics import readings_topic

REPO = Path(__file__).resolve().parents[1]
SITE, AGENT = "hanam-ic", "hanam-gw-a"
PER_MESSAGE = 100
METERS = 50 * PER_MESSAGE  # distinct meter ids the payloads use
LP_BATCH = 5_000


def payload(seq: int, ts_ms: int, per: int = PER_MESSAGE) -> bytes:
    ts = datetime.fromtimestamp(ts_ms / 1000, UTC).isoformat(timespec="milliseconds")
    readings = [
        {
            "meter": f"m{seq % 50:02d}-{j:03d}",
            "utility": "electricity",
            "ts": ts,
            "values": {"power_kw": 10.0 + j / 7, "energy_kwh": 1000.0 + seq + j / 3},
        }
        for j in range(per)
    ]
    doc = {
        "schema": "energy.readings.v1",
        "site": SITE,
        "agent": AGENT,
        "seq": seq,
        "readings": readings,
    }
    return json.dumps(doc).encode()


def build(n_messages: int, start_ms: int) -> list[bytes]:
    # One reading per meter per ms step: every reading a distinct point.
    return [payload(i, start_ms + i) for i in range(n_messages)]


def sites_file(work: Path) -> Path:
    """The demo sites with room for the bench's 5,000 unlisted meters (the per-site meter limit)."""
    data = yaml.safe_load((REPO / "config/sites/demo.yaml").read_text(encoding="utf-8"))
    data["meter_margin"] = METERS
    for key in ("programmes", "households"):  # relative to demo.yaml; the bench needs neither
        data.pop(key, None)
    path = work / "sites.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def line_protocol(payloads: list[bytes], sites: Path) -> list[str]:
    """What the collector writes for these payloads (its own validator builds it)."""
    validator = Validator(load_registry(sites), Limits(1 << 24, 1e9, 1e9))
    lines: list[str] = []
    for i, p in enumerate(payloads):
        v = validator.check(Delivery(i, 1, readings_topic(SITE, AGENT), p, time.time(), 0))
        assert isinstance(v, Accepted), v
        lines += v.lines
    return lines


def ceiling(influx: InfluxServer, lines: list[str], db: str) -> float:
    influx.create_database(db)
    client = InfluxDBClient(url=influx.url, token="", org="-", enable_gzip=True, timeout=60_000)
    api = client.write_api(write_options=SYNCHRONOUS)
    started = time.perf_counter()
    for i in range(0, len(lines), LP_BATCH):
        api.write(db, "-", lines[i : i + LP_BATCH], write_precision=WritePrecision.MS)
    elapsed = time.perf_counter() - started
    client.close()
    return len(lines) / elapsed


class Collector:
    def __init__(
        self, work: Path, broker: MosquittoServer, influx: InfluxServer, sites: Path
    ) -> None:
        self.metrics_port = free_port()
        argv = [sys.executable, "-m", "collector", "run"] + flags(
            config=sites,
            mqtt_url=broker.url,
            influx_url=influx.url,
            influx_bucket="energy",
            instance="bench",
            metrics_port=self.metrics_port,
            health_port=free_port(),
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.log = (work / "collector.log").open("wb")
        self.proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def metrics(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5
            ) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out = {}
        for row in text.splitlines():
            if row and not row.startswith("#"):
                key, _, value = row.rpartition(" ")
                out[key] = float(value)
        return out

    def written(self) -> float:
        return self.metrics().get("collector_readings_written_total", -1)

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for row in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def publisher(broker: MosquittoServer) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(200)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def wait_written(col: Collector, target: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if col.written() >= target:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"collector wrote {col.written()} of {target} readings within {timeout} s")


def lag_percentiles(before: dict[str, float], after: dict[str, float]) -> tuple[float, float]:
    """p50 and p99 from the lag histogram's bucket counts (linear within a bucket)."""
    prefix = 'collector_lag_seconds_bucket{le="'
    buckets = sorted(
        (float(k[len(prefix) : -2]), after[k] - before.get(k, 0.0))
        for k in after
        if k.startswith(prefix) and not k.endswith('+Inf"}')
    )
    total = after.get("collector_lag_seconds_count", 0) - before.get(
        "collector_lag_seconds_count", 0
    )

    def q(p: float) -> float:
        want, lo, lo_count = p * total, 0.0, 0.0
        for le, count in buckets:
            if count >= want:
                span = count - lo_count
                return lo + (le - lo) * ((want - lo_count) / span if span else 1.0)
            lo, lo_count = le, count
        return float("inf")

    return q(0.5), q(0.99)


def main(
    minutes: Annotated[
        float, typer.Option(help="length of the steady run (the issue asks 10)")
    ] = 10.0,
    readings: Annotated[int, typer.Option(help="readings for the throughput phase")] = 300_000,
) -> None:
    n_messages = readings // PER_MESSAGE
    with tempfile.TemporaryDirectory(prefix="bench-collector-") as tmp:
        work = Path(tmp)
        broker = MosquittoServer(work / "mosquitto").start()
        influx = InfluxServer(work / "influx").start()
        influx.create_database("energy")
        col: Collector | None = None
        try:
            start_ms = int(time.time() * 1000) - 3_600_000
            payloads = build(n_messages, start_ms)
            sites = sites_file(work)
            lines = line_protocol(payloads, sites)
            ceil_before = ceiling(influx, lines, "ceiling_before")

            col = Collector(work, broker, influx, sites)
            while col.written() < 0:
                time.sleep(0.2)
            time.sleep(1.0)
            pub = publisher(broker)
            topic = readings_topic(SITE, AGENT)
            cpu0, started = col.cpu_s(), time.perf_counter()
            infos = [pub.publish(topic, p, qos=1) for p in payloads]
            done = wait_written(col, n_messages * PER_MESSAGE, 600)
            cpu = col.cpu_s() - cpu0
            for info in infos:
                info.wait_for_publish(30)
            total = n_messages * PER_MESSAGE
            e2e = total / (done - started)
            # Measured before and after: the machine's load moves; the mean is the baseline.
            ceil_after = ceiling(influx, lines, "ceiling_after")
            ceil = (ceil_before + ceil_after) / 2
            print(
                f"ceiling: {ceil:,.0f} readings/s (line protocol straight to InfluxDB, {LP_BATCH}-line "
                f"gzip batches; {ceil_before:,.0f} before, {ceil_after:,.0f} after the end-to-end run)"
            )
            print(
                f"end to end: {e2e:,.0f} readings/s ({n_messages} messages of {PER_MESSAGE} readings, QoS 1)"
            )
            print(f"ratio: {e2e / ceil:.2f} (goal >= 0.6)")
            print(
                f"collector CPU: {cpu:.1f} s for {total:,} readings = {total / cpu:,.0f} readings per CPU-second"
            )

            rate = e2e / 2
            print(
                f"steady run: {minutes:g} min at {rate:,.0f} readings/s (half the measured throughput)"
            )
            before = col.metrics()
            base = col.written()
            interval = PER_MESSAGE / rate
            rss: list[float] = []
            sent, seq, t0 = 0, n_messages, time.perf_counter()
            next_rss = t0
            while time.perf_counter() - t0 < minutes * 60:
                pub.publish(topic, payload(seq, int(time.time() * 1000)), qos=1)
                seq, sent = seq + 1, sent + PER_MESSAGE
                if time.perf_counter() >= next_rss:
                    rss.append(col.rss_mb())
                    next_rss += 5.0
                sleep = t0 + (sent / PER_MESSAGE) * interval - time.perf_counter()
                if sleep > 0:
                    time.sleep(sleep)
            wait_written(col, base + sent, 120)
            p50, p99 = lag_percentiles(before, col.metrics())
            print(
                f"lag reading time -> stored: p50 {p50:.2f} s, p99 {p99:.2f} s ({sent:,} readings)"
            )
            q = max(1, len(rss) // 4)
            print(
                f"collector RSS MB: first {rss[0]:.0f}, after 1/4 {rss[q]:.0f}, "
                f"max {max(rss):.0f}, last {rss[-1]:.0f} ({len(rss)} samples, 5 s apart)"
            )
            pub.disconnect()
            pub.loop_stop()
        finally:
            if col is not None:
                col.stop()
            broker.stop()
            influx.stop()


if __name__ == "__main__":
    typer.run(main)
