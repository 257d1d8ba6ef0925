"""Wiring: MQTT source → inbox → writer thread → InfluxDB, plus metrics and health."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from prometheus_client import start_http_server

from collector import metrics as m
from collector.health import serve_health
from collector.influx_writer import InfluxWriter, WriteAborted
from collector.meters import MeterGate, influx_stored_meters
from collector.mqtt_source import MqttSource
from collector.pipeline import Pipeline
from collector.settings import CollectorSettings
from collector.stats import Stats
from collector.validate import Limits, Validator
from collector.verdict import Delivery
from telemetry.influx_schema import handed_bucket
from telemetry.influxql import InfluxQL
from telemetry.registry import ConfigError, load_registry, load_registry_lean

log = logging.getLogger(__name__)


class Collector:
    def __init__(self, settings: CollectorSettings) -> None:
        self.settings = settings
        self.registry = load_registry_lean(settings.config)  # before any thread starts
        self.inbox: queue.Queue[Delivery | None] = queue.Queue()
        self.source = MqttSource(settings, self.inbox)
        self.writer = InfluxWriter(
            settings.influx_url,
            settings.influx_token_value(),
            settings.influx_org,
            settings.influx_bucket,
            imported_bucket=settings.imported_bucket(),
            handed_bucket=handed_bucket(settings.influx_bucket),
        )
        limits = Limits(settings.max_payload_bytes, settings.max_future_s, settings.max_age_s)
        # Reads the meters InfluxDB already holds, so that a restart does not
        # count them as new (collector/meters.py).
        self.influxql = InfluxQL(settings.influx_url, settings.influx_token_value())
        meters = MeterGate(
            self.registry, influx_stored_meters(self.influxql, settings.influx_bucket)
        )
        self.pipeline = Pipeline(
            self.inbox,
            Validator(self.registry, limits, meters),
            self.writer,
            self.source.ack,
            Stats(settings.instance),
            settings.batch_size,
            settings.flush_interval_s,
            settings.stats_interval_s,
            respond=self.source.respond,
        )
        self.aborted = False
        self.reload_requested = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, name="writer", daemon=True)

    def _write_loop(self) -> None:
        try:
            self.pipeline.run()
        except WriteAborted as exc:
            self.aborted = True
            log.error(
                "stopped before InfluxDB came back (%s); unacknowledged messages stay with the broker",
                exc,
            )

    def reload(self) -> None:
        """Swap in a freshly loaded registry; keep the old one if the file is broken."""
        try:
            registry = load_registry(self.settings.config)
        except ConfigError as exc:
            log.error("registry reload failed, keeping the loaded one: %s", exc)
            return
        self.pipeline.validator.use_registry(registry)
        log.info(
            "registry reloaded from %s: %d sites, %d agents",
            self.settings.config,
            len(registry.sites),
            len(registry.agents),
        )

    # --- probes -------------------------------------------------------------
    def live(self) -> tuple[bool, dict[str, Any]]:
        return self._thread.is_alive(), {"writer": self._thread.is_alive()}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        mqtt_ok = self.source.connected.is_set() and self.source.subscribed.is_set()
        influx_ok = self.writer.healthy
        detail = {"mqtt": mqtt_ok, "influx": influx_ok, "influx_error": self.writer.last_error}
        return mqtt_ok and influx_ok and self._thread.is_alive(), detail

    # --- lifecycle ----------------------------------------------------------
    def run(self, stop: threading.Event) -> int:
        s = self.settings
        if s.metrics_port:
            start_http_server(s.metrics_port)
        if s.health_port:
            serve_health(s.health_port, self.live, self.ready)
        m.INFLUX_UP.set(1)
        self._thread.start()
        self.source.start()
        log.info(
            "collector %s: batch %d readings / %.1f s, receive maximum %d, session expiry %d s",
            s.client_id,
            s.batch_size,
            s.flush_interval_s,
            s.receive_maximum,
            s.session_expiry_s,
        )
        while not stop.wait(0.2):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload()
            if not self._thread.is_alive():
                log.error("writer thread ended unexpectedly; exiting so a supervisor restarts us")
                self.source.close(end_session=False)
                return 1
        return self.shutdown()

    def shutdown(self) -> int:
        """Flush and acknowledge what arrived, then disconnect (SIGTERM)."""
        s = self.settings
        log.info("stopping: flushing and acknowledging")
        if s.leave_on_exit and self.source.connected.is_set():
            self.source.leave_group()
        self.source.stop_accepting()
        self.inbox.put(None)
        deadline = time.monotonic() + s.shutdown_grace_s
        while self._thread.is_alive() and time.monotonic() < deadline:
            self._thread.join(0.2)
        if self._thread.is_alive():
            self.pipeline.abort.set()
            self._thread.join(5.0)
        complete = not self.aborted and self.source.refused_after_stop == 0
        end_session = s.leave_on_exit and complete
        self.source.close(end_session=end_session)
        self.writer.close()
        self.influxql.close()
        log.info(
            "stopped (%s)",
            "left the share group" if end_session else "session kept for this instance",
        )
        return 0 if not self.aborted else 3
