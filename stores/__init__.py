"""Readers of the platform's time-series stores: the public and private InfluxDB databases.

The layer below the domain packages (`civic/`, `insights/`) and the API:
they read figures through it, never through InfluxDB directly. See README.md.
"""
