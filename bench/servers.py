"""The two servers under test: ``idp serve`` (Granian) and the peer, panva/oidc-provider.

Both listen on loopback ports. The peer is copied from ``../shared/bench/peer`` into
``bench/.work/peer`` (gitignored) and installed there with npm at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
PEER_SOURCE = REPO.parent / "shared" / "bench" / "peer"
PEER_DIR = WORK / "peer"
IDP = str(Path(sys.executable).with_name("idp"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"server not up after {timeout} s:\n{log.read_text()[-4000:]}")


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class IdpServer(Server):
    workers: int = 2
    threads: int | None = None  # None: the `idp serve` default

    def idp(self, *args: str) -> str:
        """Run the ``idp`` CLI against this server's database; returns its stdout."""
        done = subprocess.run([IDP, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"idp {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def idp_json(self, *args: str) -> dict:
        return json.loads(self.idp(*args))

    def start(self, log: Path) -> None:
        handle = log.open("w")
        self.process = subprocess.Popen(
            [
                IDP,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                self.url.rsplit(":", 1)[1],
                "--workers",
                str(self.workers),
                *(["--threads", str(self.threads)] if self.threads else []),
            ],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(self.url + "/jwks", self.process, log)


def prepare_idp(instance: Path, database_url: str | None, workers: int, threads: int | None) -> IdpServer:
    """A fresh instance: migrated database and demo registry, not yet serving."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IDP_INSTANCE_PATH": str(instance),
        "IDP_ISSUER": url,
        # The benchmark reuses one token for a whole run; 60 s (the default) is too short.
        "IDP_ACCESS_TOKEN_LIFETIME": "3600",
        "PYTHONUNBUFFERED": "1",
    }
    if database_url:
        env["IDP_DATABASE_URL"] = database_url
    server = IdpServer(name="idp", url=url, env=env, workers=workers, threads=threads)
    server.idp("db", "upgrade")
    server.idp("seed-demo")
    return server


def install_peer() -> None:
    """Copy the peer next to the benchmark and ``npm install`` it (once per checkout)."""
    if not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        if PEER_DIR.exists():
            shutil.rmtree(PEER_DIR)
        shutil.copytree(PEER_SOURCE, PEER_DIR)
        for path in [PEER_DIR, *PEER_DIR.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)  # the shared copy is read-only
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True, stdout=subprocess.DEVNULL
        )


def start_peer(log: Path, access_token_format: str = "", script: str = "oidc-provider-peer.mjs") -> Server:
    """The peer as its README starts it. oidc-provider refuses to introspect its own JWT
    access tokens (``unsupported_token_type``), so introspection runs against a second
    instance issuing opaque tokens; token issuance runs against the JWT one. The code flow
    runs against ``oidc-provider-flow-peer.mjs`` (FranceConnect's flow, opaque tokens)."""
    install_peer()
    port = free_port()
    server = Server(name="peer", url=f"http://127.0.0.1:{port}")
    env = {**os.environ, "PORT": str(port), "AT_FORMAT": access_token_format}
    server.process = subprocess.Popen(
        ["node", script],
        cwd=PEER_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_up(server.url + "/.well-known/openid-configuration", server.process, log)
    return server


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
