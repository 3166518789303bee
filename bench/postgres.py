"""A throwaway PostgreSQL cluster in a temporary directory, on a loopback port.

Debian's server binaries (initdb, pg_ctl) refuse to run as root, so the cluster runs as
the ``postgres`` system user when the benchmark is started by root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bench.servers import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(versions[-1]) if versions else None


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class Cluster:
    """A running throwaway cluster, which a test can stop, start, freeze and thaw."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.data = root / "data"
        self.port = port
        self.url = self.database_url("idp")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """A new, empty database on the cluster; its ``IDP_DATABASE_URL``."""
        subprocess.run(
            _as_owner(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-c",
                    f"CREATE DATABASE {name}",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        return self.database_url(name)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_owner([_binary("pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._pg_ctl("-o", options, "-w", "-l", str(self.root / "log"), "start")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: the server closes every connection and exits."""
        self._pg_ctl("-m", "fast", "stop")

    def processes(self) -> list[int]:
        """The postmaster and its children (backends, background workers)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """SIGSTOP every process of the server: its kernel still accepts and acknowledges."""
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in reversed(self.processes()):
            os.kill(pid, signal.SIGCONT)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a cluster with an ``idp`` database; removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="idp-bench-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = Cluster(root, free_port())
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.run(
        _as_owner([_binary("initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust"]), **run
    )
    server.start()
    try:
        server.create_database("idp")
        yield server
    finally:
        # Thawed (a frozen server does not stop), then stopped, each step even if the other
        # fails: a backend that ended meanwhile (ProcessLookupError) must not leave the
        # cluster running.
        with suppress(subprocess.CalledProcessError, FileNotFoundError, ProcessLookupError):
            server.thaw()
        with suppress(subprocess.CalledProcessError, FileNotFoundError):  # already stopped
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yields an ``IDP_DATABASE_URL`` for its ``idp`` database."""
    with running_cluster() as server:
        yield server.url
