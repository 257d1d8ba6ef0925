"""A real InfluxDB 1.6 (Debian's influxd) behind nginx, which adds the /api/v2/write route.

InfluxDB 1.6 predates /api/v2/write; 1.8+ maps it onto /write itself. nginx does
the same mapping here, so clients use influxdb-client's v2 write API exactly as
against production (2.x/3.x), and InfluxQL /query passes straight through.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

from devstack._process import Daemon
from devstack.environ import clean_env
from devstack.errors import find_binary
from devstack.influx_query import InfluxQueries, InfluxQueryError
from devstack.ports import free_port
from devstack.service import HOST, Service

__all__ = ["InfluxQueryError", "InfluxServer"]

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
  # InfluxDB's defaults unless a bench asks for a compacted figure: the cache is
  # written to TSM (and the WAL dropped) after this long without writes, and a
  # shard fully compacted after that long cold.
  cache-snapshot-write-cold-duration = "{cache_snapshot_cold}"
  compact-full-write-cold-duration = "{compact_full_cold}"

[monitor]
  store-enabled = false

[retention]
  # How often expired shard groups are dropped (InfluxDB's default: 30m).
  check-interval = "{retention_check}"

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

    # A v2 bucket `db/rp` (encoded or not) is database db, retention policy rp,
    # as 1.8+ maps it: the rollups write to `energy/rollups`. A plain bucket
    # writes to the database's default policy (an empty rp).
    map $arg_bucket $influx_db {{
        default $arg_bucket;
        "~^([^/%]+)(/|%2[Ff])" $1;
    }}
    map $arg_bucket $influx_rp {{
        default "";
        "~(/|%2[Ff])([^/%&]+)$" $2;
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
            proxy_pass http://influxd/write?db=$influx_db&rp=$influx_rp&precision=$influx_precision;
        }}

        location / {{
            proxy_pass http://influxd;
        }}
    }}
}}
"""


class InfluxServer(InfluxQueries, Service):
    """influxd 1.6 plus nginx on free ports; data and ports survive restarts.

    `retention_check`: influxd's `[retention] check-interval` (a test of
    expiry shortens it). `compact_full_cold` and `cache_snapshot_cold`: its
    `[data]` `compact-full-write-cold-duration` and
    `cache-snapshot-write-cold-duration` (InfluxDB's defaults; bench_city
    --compact shortens them). Each is read when influxd (re)starts.
    """

    def __init__(
        self,
        workdir: Path,
        start_timeout: float = 20.0,
        retention_check: str = "30m",
        compact_full_cold: str = "4h",
        cache_snapshot_cold: str = "10m",
    ) -> None:
        self.workdir = Path(workdir)
        self.retention_check = retention_check
        self.compact_full_cold = compact_full_cold
        self.cache_snapshot_cold = cache_snapshot_cold
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
    def influxd_running(self) -> bool:
        return self._influxd is not None and self._influxd.running

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

    def _daemons(self) -> list[Daemon | None]:
        # nginx first: influxd is the main daemon, `pid` is its.
        return [self._nginx, self._influxd]

    def _log_paths(self) -> list[Path]:
        return [self.influxd_log_path, self.nginx_out_path, self.nginx_log_path]

    def start_influxd(self) -> None:
        """Start (or restart after stop_influxd) influxd alone, same port and data."""
        if self.influxd_running:
            return
        self._prepare_workdir()
        argv = [find_binary("influxd"), "run", "-config", str(self.influxd_conf_path)]
        self._influxd = self._launch(
            "influxd",
            argv,
            self.influxd_log_path,
            self.influxd_port,
            lambda: _pings(self.influxd_url),
            # INFLUXDB_* variables override the config file; the stack must not inherit them.
            env=clean_env("INFLUXDB_"),
        )

    def stop_influxd(self) -> None:
        """Stop influxd only: nginx keeps answering, with 502, as during a real outage."""
        if self._influxd is not None:
            self._influxd.stop()

    def _start_nginx(self) -> None:
        # -e: nginx opens its compiled-in error log before reading the config.
        argv = [find_binary("nginx"), "-p", str(self.workdir), "-c", str(self.nginx_conf_path)]
        argv += ["-e", str(self.nginx_log_path)]
        self._nginx = self._launch(
            "nginx", argv, self.nginx_out_path, self.nginx_port, lambda: _pings(self.url)
        )

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
            retention_check=self.retention_check,
            compact_full_cold=self.compact_full_cold,
            cache_snapshot_cold=self.cache_snapshot_cold,
        )


def _pings(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/ping", timeout=1) as resp:
            return bool(resp.status == 204)
    except (OSError, urllib.error.URLError):
        return False
