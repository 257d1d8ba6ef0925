"""A real Mosquitto 2.0 broker on a free port with its state in a work directory."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devstack._process import Daemon, log_tails
from devstack.errors import find_binary
from devstack.ports import ensure_port_free, free_port, port_open

HOST = "127.0.0.1"

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


class MosquittoServer:
    """Start, stop, kill and restart one broker; port and persistence survive restarts."""

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

    @property
    def running(self) -> bool:
        return self._daemon is not None and self._daemon.running

    @property
    def pid(self) -> int | None:
        return self._daemon.pid if self._daemon is not None else None

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
        binary = find_binary("mosquitto")
        ensure_port_free("mosquitto", self.host, self.port)
        self._daemon = Daemon("mosquitto", [binary, "-c", str(self.conf_path)], self.output_path)
        self._daemon.spawn()
        self._daemon.wait_until(self._ready, self.start_timeout, self._log_tail)
        return self

    def stop(self) -> None:
        """Clean stop: the broker writes its persistence file on SIGTERM."""
        if self._daemon is not None:
            self._daemon.stop()

    def kill(self) -> None:
        """Crash the broker (SIGKILL); only the last autosave survives."""
        if self._daemon is not None:
            self._daemon.kill()

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def log_text(self) -> str:
        parts = [
            p.read_text(errors="replace") for p in (self.output_path, self.log_path) if p.exists()
        ]
        return "\n".join(parts)

    def _log_tail(self) -> str:
        return log_tails(self.output_path, self.log_path)

    def _ready(self) -> bool:
        return port_open(self.host, self.port) and mqtt_answers(self.host, self.port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


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
