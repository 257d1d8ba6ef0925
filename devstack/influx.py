"""A real InfluxDB 1.6 (Debian's influxd) behind nginx, which adds the /api/v2/write route.

InfluxDB 1.6 predates /api/v2/write; 1.8+ maps it onto /write itself. nginx does
the same mapping here, so clients use influxdb-client's v2 write API exactly as
against production (2.x/3.x), and InfluxQL /query passes straight through.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from devstack._process import Daemon, log_tails
from devstack.environ import clean_env
from devstack.errors import DevstackError, find_binary
from devstack.ports import ensure_port_free, free_port

HOST = "127.0.0.1"

INFLUXD_CONF = """\
reporting-disabled = true
# RPC (backup/restore) port: a free one, so two instances never clash on 8088
bind-address = {rpc_addr}

[meta]
  dir = {meta_dir}

[data]
  dir = {data_dir}
  wal-dir = {wal_dir}
  query-log-enabled = false
  # The city has millions of series (site x meter x quality): a disk-based index
  # (TSI) instead of 1.x's in-memory one, and no caps on series per database
  # (default 1,000,000) or values per tag (default 100,000 sites or meters).
  index-version = "tsi1"
  max-series-per-database = 0
  max-values-per-tag = 0

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  bind-address = {http_addr}
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
"""

# 1.6's /write knows precisions n, u, ms, s, m, h. It answers 204 to "us" yet
# treats the numbers as nanoseconds, so the v2 names must be translated.
NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 2;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    client_body_temp_path {workdir}/nginx-tmp/client_body;
    proxy_temp_path {workdir}/nginx-tmp/proxy;
    fastcgi_temp_path {workdir}/nginx-tmp/fastcgi;
    uwsgi_temp_path {workdir}/nginx-tmp/uwsgi;
    scgi_temp_path {workdir}/nginx-tmp/scgi;

    # Workers run as 'nobody' and may not reach a temp dir under a private
    # (0700) parent: keep request bodies in memory and stream large responses
    # rather than spooling either to disk, or big batches fail with 500.
    client_max_body_size 64m;
    client_body_buffer_size 64m;
    proxy_max_temp_file_size 0;
    proxy_read_timeout 300s;

    map $arg_precision $influx_precision {{
        default $arg_precision;
        us u;
        ns n;
    }}

    upstream influxd {{
        server 127.0.0.1:{influx_port};
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{nginx_port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location = /api/v2/write {{
            proxy_pass http://influxd/write?db=$arg_bucket&precision=$influx_precision;
        }}

        location / {{
            proxy_pass http://influxd;
        }}
    }}
}}
"""

_DB_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class InfluxQueryError(DevstackError):
    """An InfluxQL statement failed (HTTP error or an error in the result)."""


class InfluxServer:
    """influxd 1.6 plus nginx on free ports; data and ports survive restarts."""

    def __init__(self, workdir: Path, start_timeout: float = 20.0) -> None:
        self.workdir = Path(workdir)
        self.host = HOST
        self.start_timeout = start_timeout
        self.nginx_port = free_port()
        self.influxd_port = free_port()
        self.rpc_port = free_port()
        self.influxd_conf_path = self.workdir / "influxdb.conf"
        self.nginx_conf_path = self.workdir / "nginx.conf"
        self.influxd_log_path = self.workdir / "influxd.log"
        self.nginx_log_path = self.workdir / "nginx-error.log"
        self.nginx_out_path = self.workdir / "nginx.out"
        self._influxd: Daemon | None = None
        self._nginx: Daemon | None = None

    @property
    def url(self) -> str:
        """The nginx URL: the only one clients should use."""
        return f"http://{self.host}:{self.nginx_port}"

    @property
    def influxd_url(self) -> str:
        return f"http://{self.host}:{self.influxd_port}"

    @property
    def running(self) -> bool:
        return self.influxd_running and self._nginx is not None and self._nginx.running

    @property
    def influxd_running(self) -> bool:
        return self._influxd is not None and self._influxd.running

    @property
    def pid(self) -> int | None:
        """influxd's process id while it runs."""
        return self._influxd.pid if self._influxd is not None else None

    @property
    def nginx_pid(self) -> int | None:
        """The pid of nginx, the proxy behind `url`."""
        return self._nginx.pid if self._nginx is not None else None

    # --- lifecycle -------------------------------------------------------

    def start(self) -> Self:
        # Find both binaries first, so a missing nginx never leaves influxd behind.
        find_binary("influxd")
        find_binary("nginx")
        try:
            self.start_influxd()
            if self._nginx is None or not self._nginx.running:
                self._start_nginx()
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self) -> None:
        if self._nginx is not None:
            self._nginx.stop()
        self.stop_influxd()

    def kill(self) -> None:
        """SIGKILL both processes: a crash, not a shutdown."""
        for daemon in (self._nginx, self._influxd):
            if daemon is not None:
                daemon.kill()

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def start_influxd(self) -> None:
        """Start (or restart after stop_influxd) influxd alone, same port and data."""
        if self.influxd_running:
            return
        self._prepare_workdir()
        binary = find_binary("influxd")
        ensure_port_free("influxd", self.host, self.influxd_port)
        argv = [binary, "run", "-config", str(self.influxd_conf_path)]
        # INFLUXDB_* variables override the config file; the stack must not inherit them.
        self._influxd = Daemon("influxd", argv, self.influxd_log_path, env=clean_env("INFLUXDB_"))
        self._influxd.spawn()
        self._influxd.wait_until(
            lambda: _pings(self.influxd_url), self.start_timeout, self._log_tail
        )

    def stop_influxd(self) -> None:
        """Stop influxd only: nginx keeps answering, with 502, as during a real outage."""
        if self._influxd is not None:
            self._influxd.stop()

    def _start_nginx(self) -> None:
        binary = find_binary("nginx")
        ensure_port_free("nginx", self.host, self.nginx_port)
        # -e: nginx opens its compiled-in error log before reading the config.
        argv = [
            binary,
            "-p",
            str(self.workdir),
            "-c",
            str(self.nginx_conf_path),
            "-e",
            str(self.nginx_log_path),
        ]
        self._nginx = Daemon("nginx", argv, self.nginx_out_path)
        self._nginx.spawn()
        self._nginx.wait_until(lambda: _pings(self.url), self.start_timeout, self._log_tail)

    def _prepare_workdir(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # nginx workers run as 'nobody' and must traverse into their temp dirs.
        os.chmod(self.workdir, 0o755)
        (self.workdir / "nginx-tmp").mkdir(exist_ok=True)
        self.influxd_conf_path.write_text(self._influxd_conf())
        self.nginx_conf_path.write_text(
            NGINX_CONF.format(
                workdir=self.workdir, influx_port=self.influxd_port, nginx_port=self.nginx_port
            )
        )

    def _influxd_conf(self) -> str:
        # json.dumps gives TOML-compatible quoted strings for paths.
        return INFLUXD_CONF.format(
            rpc_addr=json.dumps(f"{self.host}:{self.rpc_port}"),
            http_addr=json.dumps(f"{self.host}:{self.influxd_port}"),
            meta_dir=json.dumps(str(self.workdir / "meta")),
            data_dir=json.dumps(str(self.workdir / "data")),
            wal_dir=json.dumps(str(self.workdir / "wal")),
        )

    # --- queries -------------------------------------------------------------

    def create_database(self, name: str) -> None:
        if not _DB_NAME.match(name):
            raise ValueError(f"unsafe database name: {name!r}")
        self.query(f'CREATE DATABASE "{name}"')

    def query(
        self, q: str, db: str | None = None, epoch: str | None = None, method: str = "POST"
    ) -> dict[str, Any]:
        """Run InfluxQL over /query through nginx; the parsed JSON, or InfluxQueryError."""
        params = {"q": q}
        if db is not None:
            params["db"] = db
        if epoch is not None:
            params["epoch"] = epoch
        status, body = _query_request(f"{self.url}/query", params, method)
        try:
            result: dict[str, Any] = json.loads(body)
        except ValueError as exc:
            raise InfluxQueryError(f"HTTP {status}, not JSON: {body[:300]!r}") from exc
        error = _first_error(result)
        if status != 200 or error:
            raise InfluxQueryError(f"HTTP {status}: {error or body[:300]!r} (query: {q})")
        return result

    # --- logs ------------------------------------------------------------

    def log_text(self) -> str:
        parts = []
        for path in (self.influxd_log_path, self.nginx_out_path, self.nginx_log_path):
            if path.exists():
                parts.append(f"[{path.name}]\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def _log_tail(self) -> str:
        return log_tails(self.influxd_log_path, self.nginx_out_path, self.nginx_log_path)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _pings(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/ping", timeout=1) as resp:
            return bool(resp.status == 204)
    except (OSError, urllib.error.URLError):
        return False


def _query_request(url: str, params: dict[str, str], method: str) -> tuple[int, str]:
    encoded = urllib.parse.urlencode(params)
    if method.upper() == "GET":
        request = urllib.request.Request(f"{url}?{encoded}", method="GET")
    else:
        request = urllib.request.Request(
            url,
            data=encoded.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _first_error(result: dict[str, Any]) -> str | None:
    if "error" in result:
        return str(result["error"])
    for statement in result.get("results", []):
        if "error" in statement:
            return str(statement["error"])
    return None
