"""A throwaway PostgreSQL cluster in a temporary directory, on a loopback port.

Debian's server binaries (initdb, pg_ctl) refuse to run as root, so the cluster runs as
the ``postgres`` system user when the benchmark is started by root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yields an ``IDP_DATABASE_URL`` for its ``idp`` database."""
    root = Path(tempfile.mkdtemp(prefix="idp-bench-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = free_port()
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.run(_as_owner([_binary("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]), **run)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        _as_owner(
            [_binary("pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
        ),
        **run,
    )
    try:
        subprocess.run(
            _as_owner(
                ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE idp"]
            ),
            **run,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/idp"
    finally:
        subprocess.run(_as_owner([_binary("pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), **run)
        shutil.rmtree(root, ignore_errors=True)
