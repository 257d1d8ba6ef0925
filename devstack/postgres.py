"""A real PostgreSQL (Debian's package) on a free port with its cluster in a temporary directory.

Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin, off
PATH. PostgreSQL refuses to run as root, so as root the cluster belongs to
the `postgres` user the package creates, in a directory of its own under the
system's temporary directory (a test's tmp_path is root's and 0700, which that
user cannot enter). The server listens on 127.0.0.1 only and trusts local
connections: it is a test and demo database, never a deployment.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from devstack._process import Daemon
from devstack.errors import MissingBinary, StartupError
from devstack.ports import free_port, port_open
from devstack.service import HOST, Service

SUPERUSER = "energy"
RUN_AS = "postgres"  # the Debian package's system user


def pg_bin(name: str) -> str:
    """A server binary of the newest installed PostgreSQL, else MissingBinary."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for directory in reversed(versions):
        if (directory / name).is_file():
            return str(directory / name)
    found = shutil.which(name)
    if found:
        return found
    raise MissingBinary(name)


class PostgresServer(Service):
    """Start and stop one cluster; `url()` gives a SQLAlchemy URL for a database in it."""

    def __init__(self, workdir: Path, port: int | None = None, start_timeout: float = 30.0) -> None:
        self.workdir = Path(workdir)
        self.host = HOST
        self.port = port if port is not None else free_port()
        self.start_timeout = start_timeout
        self.output_path = self.workdir / "postgres.out"
        self._as_root = os.geteuid() == 0
        self._cluster_parent: Path | None = None
        self._daemon: Daemon | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def start(self) -> Self:
        if self.running:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self._data_dir()
        if not (data / "PG_VERSION").exists():
            self._initdb(data)
        argv = [
            pg_bin("postgres"),
            "-D",
            str(data),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-k",
            str(data),  # the unix socket stays inside the cluster directory
            "-c",
            "fsync=off",  # test data: speed over durability
        ]
        self._daemon = self._launch(
            "postgres", self._as_owner(argv), self.output_path, self.port, self._ready
        )
        return self

    def _daemons(self) -> list[Daemon | None]:
        return [self._daemon]

    def _log_paths(self) -> list[Path]:
        return [self.output_path]

    def cleanup(self) -> None:
        """Stop and remove the cluster directory made outside the work dir."""
        self.stop()
        if self._cluster_parent is not None:
            shutil.rmtree(self._cluster_parent, ignore_errors=True)
            self._cluster_parent = None

    def create_database(self, name: str) -> str:
        """Create database `name` (a plain identifier) and return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        self._psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _psql(self, sql: str) -> None:
        argv = [
            pg_bin("psql"),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StartupError("postgres", f"psql {sql!r} failed", done.stderr)

    def _data_dir(self) -> Path:
        if not self._as_root:
            return self.workdir / "cluster"
        if self._cluster_parent is None:
            self._cluster_parent = Path(tempfile.mkdtemp(prefix="energy-pg-"))
            owner = pwd.getpwnam(RUN_AS)
            os.chown(self._cluster_parent, owner.pw_uid, owner.pw_gid)
        return self._cluster_parent / "cluster"

    def _initdb(self, data: Path) -> None:
        argv = [
            pg_bin("initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ]
        done = subprocess.run(self._as_owner(argv), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StartupError("postgres", "initdb failed", done.stdout + done.stderr)

    def _as_owner(self, argv: list[str]) -> list[str]:
        if not self._as_root:
            return argv
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError as exc:
            raise MissingBinary("postgres") from exc
        return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", RUN_AS, "--", *argv]

    def _ready(self) -> bool:
        if not port_open(self.host, self.port):
            return False
        argv = [pg_bin("pg_isready"), "-h", self.host, "-p", str(self.port), "-U", SUPERUSER]
        return subprocess.run(argv, capture_output=True, check=False).returncode == 0

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self.cleanup()
