"""A real Mosquitto 2.0 broker on a free port with its state in a work directory."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devstack._process import Daemon
from devstack.errors import find_binary
from devstack.ports import free_port, port_open
from devstack.service import HOST, Service

# {port} and {workdir} are filled in by render_conf().
BASE_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {workdir}
persistence_file mosquitto.db
# short, so even a SIGKILL loses little; a clean stop always saves
autosave_interval 2
# tests and benches queue far more than the default 1000 per offline session
max_queued_messages 1000000
max_inflight_messages 0
log_dest file {workdir}/mosquitto.log
log_timestamp true
log_timestamp_format %Y-%m-%dT%H:%M:%S
connection_messages true
"""


class MosquittoServer(Service):
    """Start, stop, kill and restart one broker; port and persistence survive restarts.

    `stop()` lets the broker write its persistence file (SIGTERM); `kill()` is a
    crash, after which only the last autosave survives.
    """

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        extra_conf: str = "",
        conf_text: str | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.host = HOST
        self.port = port if port is not None else free_port()
        self.extra_conf = extra_conf
        self.conf_text = conf_text
        self.start_timeout = start_timeout
        self.conf_path = self.workdir / "mosquitto.conf"
        self.log_path = self.workdir / "mosquitto.log"
        # Errors before the broker opens its own log (a bad config) land here.
        self.output_path = self.workdir / "mosquitto.out"
        self._daemon: Daemon | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def render_conf(self) -> str:
        """The config file text for this broker."""
        template = self.conf_text if self.conf_text is not None else BASE_CONF + self.extra_conf
        text = template.replace("{port}", str(self.port)).replace("{workdir}", str(self.workdir))
        # As root, mosquitto drops to user 'mosquitto', which cannot write a
        # root-owned work dir; keep it as the caller unless the config says otherwise.
        if os.geteuid() == 0 and not re.search(r"^\s*user\s", text, re.MULTILINE):
            text += "\nuser root\n"
        return text

    def start(self) -> Self:
        if self.running:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.render_conf())
        argv = [find_binary("mosquitto"), "-c", str(self.conf_path)]
        self._daemon = self._launch("mosquitto", argv, self.output_path, self.port, self._ready)
        return self

    def _daemons(self) -> list[Daemon | None]:
        return [self._daemon]

    def _log_paths(self) -> list[Path]:
        return [self.output_path, self.log_path]

    def _ready(self) -> bool:
        return port_open(self.host, self.port) and mqtt_answers(self.host, self.port)


def mqtt_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when the broker sends a CONNACK, whatever its reason code.

    A refusal (e.g. 'not authorized' under a no-anonymous config) still proves
    the broker is up and speaking MQTT.
    """
    got_connack = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda *_args: got_connack.set()
    try:
        client.connect(host, port, keepalive=5)
    except OSError:
        return False
    client.loop_start()
    try:
        return got_connack.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
