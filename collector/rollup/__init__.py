"""Rollups: live, hourly and daily aggregates per district, dong and building type.

`python -m collector rollup` reads raw readings from the private bucket with
InfluxQL, computes the aggregates of telemetry.influx_schema (live_1m,
consumption_1h/1d, meter_consumption_1h/1d, suppressed) and writes them back;
groups that pass the privacy rule also go to the public bucket. This package
imports only `telemetry` and libraries (never other collector modules).
"""
