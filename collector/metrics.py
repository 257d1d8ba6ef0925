"""Prometheus metrics of the collector (served on --metrics-port)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from collector.lag import LagHistogram

MESSAGES = Counter("collector_messages", "MQTT messages received", ["kind"])
READINGS = Counter("collector_readings", "valid readings received")
WRITTEN = Counter("collector_readings_written", "readings stored in InfluxDB")
REJECTED = Counter("collector_rejected", "messages or lines set aside", ["reason"])
WRITE_BATCHES = Counter("collector_write_batches", "InfluxDB write attempts", ["result"])
WRITE_SECONDS = Histogram(
    "collector_write_seconds",
    "InfluxDB write latency",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ACKS_PENDING = Gauge("collector_acks_pending", "messages received, not yet acknowledged")
ACKS = Counter("collector_acks", "MQTT acknowledgements sent")
RECEIPTS = Counter("collector_receipts", "receipts published to a batch's response topic")
ACKS_VOID = Counter(
    "collector_acks_void", "acks skipped: the message came on an earlier connection"
)
SEQ_GAPS = Counter("collector_seq_gaps", "agent batches skipped in seq (per process)")
SEQ_DUPLICATES = Counter("collector_seq_duplicates", "agent batches seen twice (per process)")
SEQ_RESETS = Counter(
    "collector_seq_resets", "agent seq jumped far back or ahead: a new baseline (per process)"
)
METERS_ADMITTED = Counter(
    "collector_meters_admitted", "meters not known before whose readings were accepted"
)
METER_READINGS_REFUSED = Counter(
    "collector_meter_readings_refused",
    "readings of new meters refused: their site's unknown-meter limit was reached",
)
LAG = LagHistogram("collector_lag_seconds", "reading time to stored").register()
MQTT_CONNECTED = Gauge("collector_mqtt_connected", "1 while connected to the broker")
INFLUX_UP = Gauge("collector_influx_up", "0 while InfluxDB writes are failing")
