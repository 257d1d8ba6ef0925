"""The running process: evaluation passes on the main thread, delivery on its own."""

from __future__ import annotations

import logging
import threading

from prometheus_client import start_http_server
from sqlalchemy import Engine

from alerts.delivery import Deliverer
from alerts.evaluate import Evaluator
from alerts.events import EventLog
from alerts.observers import Store
from alerts.rules import RulesFile
from alerts.settings import AlertsSettings
from telemetry.influxql import InfluxQL
from telemetry.registry import Registry

log = logging.getLogger("alerts")


def build(
    settings: AlertsSettings, registry: Registry, rules: RulesFile, db: Engine
) -> tuple[Evaluator, Deliverer]:
    token = settings.influx_token_value()
    source = Store(
        InfluxQL(settings.influx_url, token, timeout_s=60), settings.influx_bucket, registry
    )
    events = EventLog(settings.influx_url, token, settings.influx_org, settings.influx_bucket)
    return Evaluator(rules, source, db, events), Deliverer(rules, db)


def run(
    settings: AlertsSettings, evaluator: Evaluator, deliverer: Deliverer, stop: threading.Event
) -> None:
    if settings.metrics_port:
        start_http_server(settings.metrics_port)
    worker = threading.Thread(
        target=deliverer.loop,
        args=(stop, settings.alerts_delivery_poll_s),
        name="delivery",
        daemon=True,
    )
    worker.start()
    log.info("alerts running", extra={"rules": len(evaluator.rules.rules)})
    while not stop.is_set():
        report = evaluator.run_pass()
        if report.events:
            log.info("pass", extra={"events": len(report.events), "queued": report.queued})
        stop.wait(settings.alerts_interval_s)
    worker.join(timeout=10)
