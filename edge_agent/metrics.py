"""Prometheus metrics of one agent (served on --metrics-port; 0 = off).

All metrics live in the agent's own registry so tests and the benchmark can
build several agents in one process.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter(
            "edge_polls",
            "Meter polls by outcome (ok, bad, failed)",
            ["meter", "outcome"],
            registry=r,
        )
        self.errors = Counter(
            "edge_poll_errors",
            "Poll errors by meter and kind (timeout, connect, busy, exception, illegal_address, "
            "garbage, nonfinite, out_of_range, counter_reset, counter_glitch, no_values, internal)",
            ["meter", "kind"],
            registry=r,
        )
        self.requests = Counter(
            "edge_modbus_requests", "Modbus read requests sent", ["meter"], registry=r
        )
        self.poll_seconds = Gauge(
            "edge_poll_duration_seconds", "Duration of the meter's last poll", ["meter"], registry=r
        )
        self.interval_seconds = Gauge(
            "edge_poll_interval_seconds", "Configured poll interval", ["meter"], registry=r
        )
        self.poll_load = Histogram(
            "edge_poll_duration_ratio",
            "Poll duration as a fraction of the poll interval (1 = no time left)",
            ["meter"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0),
            registry=r,
        )
        self.failing = Gauge(
            "edge_meter_failing", "1 while the meter is failing", ["meter"], registry=r
        )
        self.readings = Counter(
            "edge_readings", "Readings produced by quality", ["meter", "quality"], registry=r
        )
        self.outbox_depth = Gauge("edge_outbox_depth", "Batches waiting for PUBACK", registry=r)
        self.outbox_bytes = Gauge("edge_outbox_bytes", "Bytes of batches in the outbox", registry=r)
        self.outbox_oldest = Gauge(
            "edge_outbox_oldest_age_seconds", "Age of the oldest unacknowledged batch", registry=r
        )
        self.dropped = Gauge(
            "edge_dropped_batches", "Batches dropped past the outbox budget (lifetime)", registry=r
        )
        self.batches = Counter("edge_batches_queued", "Batches written to the outbox", registry=r)
        self.acked = Counter("edge_batches_acked", "Batches acknowledged by the broker", registry=r)
        self.publish_latency = Histogram(
            "edge_publish_latency_seconds",
            "From publish to PUBACK",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.connected = Gauge("edge_mqtt_connected", "1 while connected to the broker", registry=r)

    def serve(self, port: int) -> None:
        if port:
            start_http_server(port, registry=self.registry)
