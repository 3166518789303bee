"""The federation tests' third-party peers, run from ``tests/federation/node_modules``
(``make install-dev``): panva/oidc-provider as an upstream identity provider, and
openid-client as a strict relying party."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.e2e_server import free_port

HERE = Path(__file__).parent
PIVOT_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry email"


@dataclass
class UpstreamProvider:
    """A running panva/oidc-provider with one client: the hub."""

    url: str
    client_id: str
    client_secret: str
    process: subprocess.Popen
    log: Path

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_upstream(
    tmp_path: Path,
    hub_url: str,
    name: str,
    accounts: dict,
    *,
    publish_other_keys: bool = False,
    jwks_down: bool = False,
    token_response: str | None = None,
    client_metadata: dict | None = None,
    port: int | None = None,
) -> UpstreamProvider:
    """Start panva as identity provider ``name`` of the hub at ``hub_url``.

    ``accounts`` maps a login to ``{"acr": ..., "claims": {...}}``: what the provider asserts.
    ``token_response``: ``"padded"`` (100 kB more than the tokens) or ``"redirected"`` (a 307
    to another URL first), for the hub's refusals.
    ``client_metadata`` adds to the hub's client there (``userinfo_signed_response_alg``...).
    Each start has new signing keys: starting again on the same ``port`` rotates them.
    """
    port = port or free_port()
    client_id, client_secret = f"hub-{name}", f"{name}-secret-0123456789abcdef0123456789"
    config = {
        "port": port,
        "client": {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": [f"{hub_url}/identity-providers/{name}/callback"],
            "post_logout_redirect_uris": [f"{hub_url}/identity-providers/{name}/logged-out"],
            **(client_metadata or {}),
        },
        "accounts": accounts,
        "publish_other_keys": publish_other_keys,
        "jwks_down": jwks_down,
        "token_response": token_response,
    }
    config_path = tmp_path / f"upstream-{name}.json"
    config_path.write_text(json.dumps(config))
    log = tmp_path / f"upstream-{name}.log"
    process = subprocess.Popen(
        ["node", str(HERE / "upstream-provider.mjs")],
        env={"UPSTREAM_CONFIG": str(config_path), "PATH": "/usr/local/bin:/usr/bin:/bin"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    upstream = UpstreamProvider(f"http://127.0.0.1:{port}", client_id, client_secret, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the upstream provider exited:\n{log.read_text()}")
        try:
            if requests.get(upstream.discovery_url, timeout=1).status_code == 200:
                return upstream
        except requests.RequestException:
            time.sleep(0.2)
    upstream.stop()
    raise AssertionError(f"the upstream provider did not start:\n{log.read_text()}")


def strict_rp(step: str, **arguments) -> dict:
    """One step of openid-client (tests/federation/strict-rp.mjs): ``start`` or ``finish``."""
    result = subprocess.run(
        ["node", str(HERE / "strict-rp.mjs"), step],
        input=json.dumps(arguments),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"openid-client {step} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)
