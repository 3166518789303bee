"""``python -m bench.threads [token|introspect|checktoken|jwks] [-c N ...] [--seconds S]``:
where a served request's CPU goes among the threads of one worker.

``python -m bench`` reports the workers' CPU per request in all; ``python -m bench.profile``
the application's own, called in process. This runs ``idp serve`` with one worker on
SQLite, drives one workload with wrk, and splits the worker's CPU per request by thread
(``/proc/<worker>/task``):

- the worker's main thread, inside Granian's ``serve``, whose event loop runs the RSGI
  coroutines: each body's read and the hand-over to an application thread
  (:mod:`idp.operations.buffering`);
- every other thread, busiest first: the application thread that runs Flask
  (:mod:`idp.operations.app_threads`; the extra ones stay asleep unless one is stuck) and
  Granian's runtime threads (HTTP parsing and sockets, in Rust).

Python 3.11 does not give its threads' names to the kernel, so the others are told apart by
their CPU: under load the application thread is the one near a whole core (``py-spy dump``
names them: ``idp-wsgi-0`` is the application's first thread).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.fixtures import idp_credentials
from bench.loadgen import run_wrk
from bench.procfs import thread_cpu_seconds, worker_pids
from bench.servers import WORK, prepare_idp
from bench.workloads import (
    WARMUP_SECONDS,
    checktoken_workload,
    introspect_workload,
    jwks_workload,
    token_workload,
)


def _workload(key: str, server, credentials):
    if key == "token":
        return token_workload(credentials)
    if key == "introspect":
        return introspect_workload(server, credentials)
    if key == "checktoken":
        return checktoken_workload(server, credentials)
    return jwks_workload()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.threads")
    parser.add_argument("workload", choices=["token", "introspect", "checktoken", "jwks"])
    parser.add_argument("-c", "--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        server = prepare_idp(Path(tmp) / "instance", None, workers=1, threads=None)
        server.start(Path(tmp) / "serve.log")
        try:
            worker = worker_pids(server.process.pid)[0]
            workload = _workload(args.workload, server, idp_credentials(server))
            for connections in args.connections:
                run_wrk(
                    server.url, workload.script, workload.env, connections=connections, seconds=WARMUP_SECONDS
                )
                before = thread_cpu_seconds(worker)
                result = run_wrk(
                    server.url, workload.script, workload.env, connections=connections, seconds=args.seconds
                )
                after = thread_cpu_seconds(worker)
                _report(args.workload, connections, result, worker, before, after)
        finally:
            server.stop()


def _report(key: str, connections: int, result, worker: int, before: dict, after: dict) -> None:
    spent = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    total = sum(spent.values())
    print(
        f"{key} c={connections}: {result.rps:,.0f} req/s, errors={result.errors}, "
        f"{total * 1e6 / max(result.requests, 1):,.0f} µs of worker CPU per request"
    )
    others = sorted((tid for tid in spent if tid != worker and spent[tid] > 0), key=spent.get, reverse=True)
    for tid in [worker, *others]:
        label = "main thread (event loop)" if tid == worker else f"thread {tid}"
        per_request = spent[tid] * 1e6 / max(result.requests, 1)
        print(f"  {label:28s} {per_request:7,.0f} µs/request  {spent[tid] / result.seconds:5.0%} of a core")


if __name__ == "__main__":
    main()
