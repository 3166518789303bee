"""bench/report.py: the large data set is compared with the small one, workload by workload,
and stays out of the comparison with the peer."""

from __future__ import annotations

from bench import report
from bench.large_data import LARGE, Seeded
from bench.loadgen import LoadResult
from bench.workloads import LARGE_DATA, SMALL_DATA, Measurement, Workload

TOKEN = Workload("token", "POST /token", "request.lua", {})
FLOW = Workload("flow", "code flow", "flow.lua", {}, unit="flows/s")


def measured(workload: Workload, rate: float, data: str = SMALL_DATA, server: str = "idp") -> Measurement:
    done = round(rate * 10)
    result = LoadResult(requests=done, seconds=10, errors=0, p50_ms=1, p99_ms=2, p999_ms=3, flows=done)
    return Measurement("sqlite", workload, 32, server, result, 100, done / 1000, data)


def test_large_data_is_compared_with_the_small_data_set_and_not_with_the_peer():
    run = report.Run(command="python -m bench --large-data", seconds=10, connections=[32], workers=2)
    run.seeded["sqlite"] = Seeded(LARGE, 35.0, "secret", {}, {})
    run.measurements = [
        *(measured(TOKEN, rate) for rate in (3000, 3400, 3200)),
        *(measured(TOKEN, rate, LARGE_DATA) for rate in (2800, 3000, 9000)),  # medians: 3200, 3000
        measured(TOKEN, 1000, server="peer"),
        measured(FLOW, 150),
        measured(FLOW, 120, LARGE_DATA),
    ]

    [token, flow] = report.large_data_comparisons(run)
    assert (token.workload, token.reference_rate, token.our_rate) == ("token", 3200, 3000)
    assert round(token.ratio, 3) == 0.938
    assert round(flow.ratio, 2) == 0.8
    [peer] = report.comparisons(run)
    assert (peer.our_rate, peer.reference_rate) == (3200, 1000)
    assert report._targets(run)[-1] == (
        "- Every workload on the large data set ≥ 0.9× its rate on the small one: "
        "NOT met — sqlite flow c=32: 0.80"
    )
