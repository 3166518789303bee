"""The citizen's code flow with a fresh sign-in each time: reported, without a target.

Issue 17 asks for two figures beside the benchmark's flow (a citizen already signed in):

- ``signin``: a new browser signs in with the hub's own password each time, so each flow
  pays one Argon2id verification (deliberately costly: :mod:`idp.citizens.passwords`);
- ``federated``: a new browser signs in through an upstream identity provider each time,
  panva/oidc-provider as FranceConnect's FI (the federation tests' peer,
  ``tests/federation/upstream-provider.mjs``), so each flow pays the hub's exchange with it
  (its token endpoint and the ID token's RS256 signature, server to server) and the
  provider's own pages.

Each flow: ``GET /authorize`` → the chooser → the chosen provider's sign-in → back with a
code → ``POST /token`` (PKCE) → ``GET /userinfo``; the hub's consent is given by the first
flow and remembered after it. wrk cannot drive it (the federated flow crosses two servers,
and each step fills the form of the page before it), so Python threads do, each a browser
(``requests``) following the pages as ``tests/federation/citizen.py`` does for the tests.
The driver's own CPU shares the machine: read the servers' CPU per flow, measured from
``/proc``, rather than the rate alone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from bench.fixtures import CITIZEN, FLOW_REDIRECT_URI, FLOW_SCOPE, flow_requests
from bench.procfs import cpu_seconds
from bench.servers import IdpServer
from idp.citizens.federation.flow import PIVOT_CLAIMS
from idp.demo.seed import DEMO_CITIZENS
from tests.federation.citizen import Citizen
from tests.federation.peers import UpstreamProvider, start_upstream

#: Browsers at once: enough to keep the hub's two workers busy while each browser waits on
#: the Argon2 verification or the upstream provider, few enough for the driver's own CPU.
CONCURRENCY = 4
WARMUP_FLOWS = 2
UPSTREAM = "panva"
#: What the upstream provider asserts for the demo's marie.dupont: her pivot identity, so the
#: hub finds the same citizen (and her consent) as with her password.
UPSTREAM_ACCOUNTS = {
    CITIZEN[0]: {"acr": "eidas2", "claims": {key: DEMO_CITIZENS[0][key] for key in (*PIVOT_CLAIMS, "email")}}
}
TITLES = {
    "signin": "code flow with a fresh password sign-in (Argon2id)",
    "federated": "code flow through an upstream identity provider (panva/oidc-provider)",
}
#: The provider each workload picks on the hub's chooser.
CHOICES = {"signin": "local", "federated": UPSTREAM}


@dataclass
class SignInResult:
    database: str
    key: str
    concurrency: int
    seconds: float
    flows: int
    requests: int
    errors: int
    flow_p50_ms: float
    flow_p99_ms: float
    hub_cpu_seconds: float
    upstream_cpu_seconds: float | None  # the federated flow's provider, None for the password

    @property
    def title(self) -> str:
        return TITLES[self.key]

    @property
    def flows_per_second(self) -> float:
        return self.flows / self.seconds

    @property
    def hub_cpu_ms(self) -> float:
        return self.hub_cpu_seconds * 1000 / self.flows if self.flows else float("nan")

    @property
    def upstream_cpu_ms(self) -> float | None:
        if self.upstream_cpu_seconds is None or not self.flows:
            return None
        return self.upstream_cpu_seconds * 1000 / self.flows


class FlowError(Exception):
    """A flow that did not end with the citizen's claims."""


@dataclass
class SignInFlows:
    """The hub's service provider for these flows, and one complete flow as a new browser."""

    server: IdpServer
    client_id: str
    client_secret: str

    def run(self, choose: str) -> int:
        """One flow from a browser without cookies; the number of HTTP requests it took."""
        authorize_path, token_body = flow_requests(self.client_id)
        citizen = Citizen(CITIZEN[0])
        answer = citizen.visit(
            self.server.url + authorize_path,
            lambda response: response.headers.get("Location", "").startswith(FLOW_REDIRECT_URI),
            choose=choose,
        )
        code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code")
        if not code:
            raise FlowError(f"no code: {answer.status_code} {answer.url}")
        token = requests.post(
            self.server.url + "/token",
            data=token_body + "&code=" + code[0],
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(self.client_id, self.client_secret),
            timeout=30,
        )
        if token.status_code != 200:
            raise FlowError(f"token: {token.status_code} {token.text[:200]}")
        claims = requests.get(
            self.server.url + "/userinfo",
            headers={"Authorization": "Bearer " + token.json()["access_token"]},
            timeout=30,
        )
        if claims.status_code != 200 or "sub" not in claims.json():
            raise FlowError(f"userinfo: {claims.status_code} {claims.text[:200]}")
        return len(citizen.pages) + 2


def prepare(server: IdpServer, work: Path) -> tuple[SignInFlows, UpstreamProvider]:
    """The service provider, and panva started and registered at the hub as ``panva``."""
    client = server.idp_json(
        "clients", "create", "--name", "fs-sign-in", "--auth-method", "client_secret_basic",
        "--redirect-uri", FLOW_REDIRECT_URI, "--allowed-scopes", FLOW_SCOPE, "--json",
    )  # fmt: skip
    upstream = start_upstream(work, server.url, UPSTREAM, UPSTREAM_ACCOUNTS)
    try:
        server.idp(
            "identity-providers", "add", "--name", UPSTREAM, "--title", "Compte panva",
            "--discovery-url", upstream.discovery_url, "--client-id", upstream.client_id,
            "--client-secret", upstream.client_secret, "--eidas-level", "eidas1", "--eidas-level", "eidas2",
        )  # fmt: skip
    except BaseException:
        upstream.stop()
        raise
    return SignInFlows(server, client["client_id"], client["client_secret"]), upstream


def measure(
    flows: SignInFlows,
    key: str,
    database: str,
    hub_pids: list[int],
    upstream: UpstreamProvider | None,
    seconds: float,
    concurrency: int = CONCURRENCY,
) -> SignInResult:
    """``concurrency`` browsers run flows back to back for ``seconds``, after a warm-up."""
    choose = CHOICES[key]
    for _ in range(WARMUP_FLOWS):
        flows.run(choose)  # a failure here is the set-up's: it raises
    durations: list[float] = []
    counts = {"requests": 0, "errors": 0}
    lock = threading.Lock()
    upstream_pids = [upstream.process.pid] if upstream is not None else []
    hub_before, upstream_before = cpu_seconds(hub_pids), cpu_seconds(upstream_pids)
    started = time.monotonic()
    deadline = started + seconds

    def browse() -> None:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                made = flows.run(choose)
            except (FlowError, requests.RequestException):
                with lock:
                    counts["errors"] += 1
                continue
            with lock:
                durations.append(time.monotonic() - began)
                counts["requests"] += made

    browsers = [threading.Thread(target=browse, name=f"bench-browser-{n}") for n in range(concurrency)]
    for browser in browsers:
        browser.start()
    for browser in browsers:
        browser.join()
    elapsed = time.monotonic() - started
    durations.sort()
    return SignInResult(
        database=database,
        key=key,
        concurrency=concurrency,
        seconds=elapsed,
        flows=len(durations),
        requests=counts["requests"],
        errors=counts["errors"],
        flow_p50_ms=_percentile(durations, 0.50) * 1000,
        flow_p99_ms=_percentile(durations, 0.99) * 1000,
        hub_cpu_seconds=cpu_seconds(hub_pids) - hub_before,
        upstream_cpu_seconds=cpu_seconds(upstream_pids) - upstream_before if upstream else None,
    )


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest rank (the value below which ``share`` of the flows ended); NaN without any."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
