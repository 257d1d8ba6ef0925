"""Real local services (Mosquitto, InfluxDB 1.6 behind nginx) for tests, benches and the demo."""

from devstack.errors import DevstackError, MissingBinary, StartupError
from devstack.influx import InfluxQueryError, InfluxServer
from devstack.mosquitto import MosquittoServer
from devstack.ports import free_port, wait_for_port

__all__ = [
    "DevstackError",
    "InfluxQueryError",
    "InfluxServer",
    "MissingBinary",
    "MosquittoServer",
    "StartupError",
    "free_port",
    "wait_for_port",
]
