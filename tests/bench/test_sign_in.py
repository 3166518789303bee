"""bench/sign_in.py against the real things: ``idp serve`` prepared as the benchmark prepares
it, panva/oidc-provider as the upstream identity provider, and the report's section."""

from __future__ import annotations

import pytest

from bench import report, sign_in
from bench.procfs import worker_pids
from bench.servers import prepare_idp

pytestmark = pytest.mark.e2e
SECONDS = 2.0


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("sign-in")
    server = prepare_idp(work / "instance", None, workers=2, threads=None)
    server.start(work / "idp.log")
    try:
        flows, upstream = sign_in.prepare(server, work)
        try:
            yield server, flows, upstream
        finally:
            upstream.stop()
    finally:
        server.stop()


def test_each_flow_signs_in_afresh_with_the_password(hub):
    server, flows, _ = hub
    result = sign_in.measure(flows, "signin", "sqlite", worker_pids(server.process.pid), None, SECONDS, 2)

    assert result.errors == 0
    assert result.flows > 0
    # authorize, the chooser, the local start, the sign-in page and form, back to
    # /authorize, then /token and /userinfo: at least that many requests each time
    assert result.requests / result.flows >= 7
    assert result.hub_cpu_ms > 0
    assert result.upstream_cpu_ms is None
    assert result.flow_p50_ms <= result.flow_p99_ms


def test_each_federated_flow_goes_through_the_upstream_provider(hub):
    server, flows, upstream = hub
    password = sign_in.measure(flows, "signin", "sqlite", worker_pids(server.process.pid), None, SECONDS, 2)
    federated = sign_in.measure(
        flows, "federated", "sqlite", worker_pids(server.process.pid), upstream, SECONDS, 2
    )

    assert federated.errors == 0
    assert federated.flows > 0
    assert federated.upstream_cpu_ms > 0  # the provider worked for every flow
    # the provider's authorization, interaction and sign-in pages, and the hub's callback
    assert federated.requests / federated.flows > password.requests / password.flows + 3

    run = report.Run(command="python -m bench", seconds=SECONDS, connections=[16], workers=2)
    run.sign_ins = [password, federated]
    section = report._sign_in_section(run)
    assert section[0] == "## Flows with a fresh sign-in (reported, no target)"
    rows = [line for line in section if line.startswith("| sqlite |")]
    assert [row.split(" | ")[1] for row in rows] == [sign_in.TITLES["signin"], sign_in.TITLES["federated"]]
    assert rows[0].endswith("|  |") and not rows[1].endswith("|  |")  # upstream CPU for panva only


def test_a_flow_that_does_not_reach_the_service_is_an_error(hub):
    server, _, _ = hub
    unknown = sign_in.SignInFlows(server, "no-such-client", "secret")

    with pytest.raises(sign_in.FlowError):
        unknown.run("local")
