"""The five workloads, as wrk script parameters, and how one measurement is taken."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from bench.fixtures import Credentials, FlowSetup, basic, introspection_target
from bench.loadgen import LoadResult, run_wrk
from bench.procfs import RssSampler, cpu_seconds
from bench.servers import Server

WARMUP_SECONDS = 3
#: The machine endpoints at 32 and 128 connections (the targets' p99 is at 128); the code flow
#: at 16 concurrent flows, as the performance targets state it (48 requests in flight at most).
MACHINE_CONNECTIONS = (32, 128)
FLOW_CONNECTIONS = (16,)
#: The data sets a server runs on: ``idp seed-demo`` alone, or with bench/large_data.py's.
SMALL_DATA = "small"
LARGE_DATA = "large"


@dataclass
class Workload:
    key: str
    title: str
    script: str
    env: dict[str, str]
    unit: str = "req/s"
    #: The ``idp serve`` settings this workload is measured under (idp's only).
    settings: dict[str, str] = field(default_factory=dict)
    #: The concurrent connections it is measured at, unless ``--connections`` says.
    connections: tuple[int, ...] = MACHINE_CONNECTIONS


@dataclass
class Measurement:
    database: str
    workload: Workload
    connections: int
    server: str
    result: LoadResult
    peak_rss_mb: float  # largest sampled VmRSS of one worker during the run
    cpu_seconds: float  # CPU time all the server's processes spent during the run
    data: str = SMALL_DATA  # the data set under the server (bench/large_data.py)

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request (per flow for the flow workload), in milliseconds."""
        done = self.result.flows if self.workload.unit == "flows/s" else self.result.requests
        return self.cpu_seconds * 1000 / done if done else float("nan")

    @property
    def rate(self) -> float:
        return self.result.flows_per_second if self.workload.unit == "flows/s" else self.result.rps


def _post(path: str, body: str, authorization: str = "") -> dict[str, str]:
    return {
        "BENCH_METHOD": "POST",
        "BENCH_PATH": path,
        "BENCH_BODY": body,
        "BENCH_AUTHORIZATION": authorization,
    }


def token_workload(credentials: Credentials) -> Workload:
    body = urlencode({"grant_type": "client_credentials", "scope": "dgfip_statistiques"})
    return Workload(
        "token",
        "POST /token client_credentials (ES256 JWT)",
        "request.lua",
        _post(credentials.token_path, body, basic(*credentials.service)),
    )


def introspect_workload(server: Server, credentials: Credentials) -> Workload:
    path, body = introspection_target(server, credentials)
    return Workload(
        "introspect",
        "POST introspection (RFC 7662)",
        "request.lua",
        _post(path, body, basic(*credentials.data_provider)),
    )


def checktoken_workload(server: Server, credentials: Credentials) -> Workload:
    token = credentials.client_credentials_token(server.url)
    client_id, secret = credentials.data_provider
    body = urlencode({"token": token, "client_id": client_id, "client_secret": secret})
    return Workload(
        "checktoken", "POST /checktoken (signed JWT answer)", "request.lua", _post("/checktoken", body)
    )


def jwks_workload() -> Workload:
    return Workload("jwks", "GET /jwks", "request.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": "/jwks"})


#: The peer's flow issues opaque access tokens, as FranceConnect does: idp's flow runs so too.
FLOW_SETTINGS = {"IDP_ACCESS_TOKEN_FORMAT": "opaque"}


def flow_workload(flow: FlowSetup, settings: dict[str, str] | None = None) -> Workload:
    return Workload(
        "flow",
        "code flow: authorize → token → userinfo",
        "flow.lua",
        {
            "BENCH_AUTHORIZE_PATH": flow.authorize_path,
            "BENCH_COOKIE": flow.cookie,
            "BENCH_AUTHORIZATION": flow.authorization,
            "BENCH_TOKEN_BODY": flow.token_body,
            "BENCH_TOKEN_PATH": flow.token_path,
            "BENCH_USERINFO_PATH": flow.userinfo_path,
        },
        unit="flows/s",
        settings=settings or {},
        connections=FLOW_CONNECTIONS,
    )


def endpoint_exists(server: Server, workload: Workload) -> bool:
    """Workloads whose endpoint another issue has not landed yet are reported as missing."""
    if workload.env.get("BENCH_METHOD") != "POST":
        return True
    return requests.post(server.url + workload.env["BENCH_PATH"], timeout=10).status_code != 404


def measure(
    server: Server,
    worker_pids: list[int],
    database: str,
    workload: Workload,
    connections: int,
    seconds: float,
    data: str = SMALL_DATA,
) -> Measurement:
    """A warm-up, then one measured run while sampling the workers' RSS."""
    run_wrk(server.url, workload.script, workload.env, connections=connections, seconds=WARMUP_SECONDS)
    cpu_before = cpu_seconds(worker_pids)
    with RssSampler(worker_pids, interval=0.25) as sampler:
        result = run_wrk(server.url, workload.script, workload.env, connections=connections, seconds=seconds)
    cpu = cpu_seconds(worker_pids) - cpu_before
    peak = max((max(sample.values()) for _, sample in sampler.samples), default=0) / 1024
    return Measurement(database, workload, connections, server.name, result, peak, cpu, data)
