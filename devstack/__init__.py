"""Real local services (Mosquitto, InfluxDB 1.6 behind nginx) for tests, benches and the demo."""

from devstack.environ import clean_env, component_env
from devstack.errors import DevstackError, MissingBinary, StartupError
from devstack.flags import flags
from devstack.influx import InfluxQueryError, InfluxServer
from devstack.mosquitto import MosquittoServer
from devstack.ports import free_port, port_free, shifted_config, wait_for_port

__all__ = [
    "DevstackError",
    "InfluxQueryError",
    "InfluxServer",
    "MissingBinary",
    "MosquittoServer",
    "StartupError",
    "clean_env",
    "component_env",
    "flags",
    "free_port",
    "port_free",
    "shifted_config",
    "wait_for_port",
]
