"""A real ``idp serve`` on a free loopback port, for end-to-end and browser tests.

Usage::

    server = start_server(tmp_path, workers=2, env={"IDP_ACCESS_TOKEN_LIFETIME": "120"})
    ...  # server.url, server.idp("clients", "create", ...) runs the CLI against it
    server.stop()

or the ``live_server`` fixture (tests/conftest.py) for the common case.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

IDP = str(Path(sys.executable).with_name("idp"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    extra: dict = field(default_factory=dict)
    command: list[str] = field(default_factory=list)

    def idp(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the ``idp`` CLI against this server's database and configuration."""
        result = subprocess.run([IDP, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"idp {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def idp_json(self, *args: str) -> dict:
        return json.loads(self.idp(*args).stdout)

    def start(self) -> None:
        """Run ``idp serve`` (again: the same port and settings) until ``/jwks`` answers."""
        log = self.log_path.open("a")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"idp serve exited:\n{self.log_path.read_text()}")
            try:
                if requests.get(self.url + "/jwks", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"idp serve did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


#: Run ``idp serve`` as root without root's power to ignore file modes, so that a test can
#: make the database read-only with ``chmod`` (the CLI commands keep running as root).
NO_DAC_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def start_server(
    tmp_path: Path,
    *,
    workers: int = 1,
    env: dict | None = None,
    seed: bool = True,
    seed_options: tuple[str, ...] = (),
    issuer_host: str = "127.0.0.1",
    prefix: list[str] | None = None,
    serve_options: tuple[str, ...] = (),
) -> LiveServer:
    """``seed_options`` are passed to ``idp seed-demo``. ``issuer_host`` ``localhost`` gives a
    second server its own cookies: a browser keeps cookies per host name, whatever the port.
    ``prefix``: a command that runs ``idp serve`` (:data:`NO_DAC_OVERRIDE`). ``serve_options``:
    more options of ``idp serve`` (``--metrics-port N``)."""
    port = free_port()
    url = f"http://{issuer_host}:{port}"
    server_env = {
        **os.environ,
        "IDP_INSTANCE_PATH": str(tmp_path / "instance"),
        "IDP_ISSUER": url,
        "PYTHONUNBUFFERED": "1",
    }
    server_env.update(env or {})
    serve = [IDP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    serve.extend(serve_options)
    server = LiveServer(
        url=url, env=server_env, log_path=tmp_path / "server.log", command=[*(prefix or []), *serve]
    )
    server.idp("db", "upgrade")
    if seed:
        server.idp("seed-demo", *seed_options)
    server.log_path.write_text("")
    server.start()
    return server
