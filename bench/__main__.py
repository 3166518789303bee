"""``python -m bench``: measure idp's hot paths beside the peer, write bench/RESULTS.md.

python -m bench                       # full run: SQLite, then PostgreSQL if installed
python -m bench --seconds 3 --no-soak --no-postgres   # a quick look while optimising
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import postgres, report
from bench.fixtures import idp_credentials, peer_credentials, prepare_flow, prepare_peer_flow
from bench.loadgen import run_wrk
from bench.procfs import RssSampler, status_kib, worker_pids
from bench.servers import WORK, Server, prepare_idp, start_peer
from bench.workloads import (
    FLOW_SETTINGS,
    checktoken_workload,
    endpoint_exists,
    flow_workload,
    introspect_workload,
    jwks_workload,
    measure,
    token_workload,
)

SOAK_WINDOW = 30.0
#: Connections of the soak's token, introspection and code-flow runs.
SOAK_CONNECTIONS = (64, 32, 16)
LOGS = WORK / "logs"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration of each run")
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="idp serve workers")
    parser.add_argument("--threads", type=int, help="idp serve threads per worker (default: its own)")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds against the peer")
    parser.add_argument("--soak-seconds", type=float, default=120.0)
    parser.add_argument("--no-soak", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", nargs="+", help="workload keys: token introspect checktoken jwks flow")
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    return parser.parse_args(argv)


def _log(message: str) -> None:
    print(message, flush=True)


def _bench_database(
    run: report.Run, args: argparse.Namespace, work: Path, database: str, url: str | None, peers: dict
) -> None:
    server = prepare_idp(work / f"instance-{database}", url, args.workers, args.threads)
    credentials = idp_credentials(server)
    defaults = dict(server.env)
    starts = iter(range(1, 100))

    def serve(settings: dict[str, str]) -> list[int]:
        """(Re)start ``idp serve`` under ``settings`` on the same database; its worker pids."""
        wanted = {**defaults, **settings}
        if server.process is not None and server.env == wanted:
            return pids
        server.stop()
        server.env = wanted
        server.start(work / f"idp-{database}-{next(starts)}.log")
        started = worker_pids(server.process.pid)
        _log(f"[{database}] idp serve at {server.url} ({settings or 'defaults'}), worker pids {started}")
        return started

    pids = serve({})
    try:
        ours = [
            token_workload(credentials),
            introspect_workload(server, credentials),
            checktoken_workload(server, credentials),
            jwks_workload(),
            flow_workload(prepare_flow(server), FLOW_SETTINGS),
        ]
        theirs = {}
        if peers:
            peer_creds = peer_credentials()
            theirs = {
                "token": token_workload(peer_creds),
                "introspect": introspect_workload(peers["introspect"], peer_creds),
                "flow": flow_workload(prepare_peer_flow(peers["flow"])),
            }
        for workload in ours:
            if args.only and workload.key not in args.only:
                continue
            if not endpoint_exists(server, workload):
                run.missing.append((database, workload.title))
                _log(f"[{database}] {workload.title}: endpoint missing, skipped")
                continue
            pids = serve(workload.settings)
            for connections in args.connections:
                rounds = args.rounds if workload.key in theirs else 1
                for _ in range(rounds):
                    _record(run, measure(server, pids, database, workload, connections, args.seconds))
                    if workload.key in theirs:
                        peer = peers[workload.key]
                        _record(
                            run,
                            measure(
                                peer,
                                [peer.process.pid],
                                database,
                                theirs[workload.key],
                                connections,
                                args.seconds,
                            ),
                        )
        if database == "sqlite" and not args.no_soak:
            pids = serve({})
            mix = [
                (ours[0], SOAK_CONNECTIONS[0]),
                (ours[1], SOAK_CONNECTIONS[1]),
                (ours[-1], SOAK_CONNECTIONS[2]),
            ]
            run.soak = _soak(server, pids, mix, args.soak_seconds)
    finally:
        server.stop()


def _record(run: report.Run, measurement) -> None:
    run.measurements.append(measurement)
    r = measurement.result
    _log(
        f"[{measurement.database}] {measurement.server:4} {measurement.workload.key:10} "
        f"c={measurement.connections:<3} {measurement.rate:8.0f} {measurement.workload.unit} "
        f"p50={r.p50_ms:.1f} p99={r.p99_ms:.1f} p99.9={r.p999_ms:.1f} ms errors={r.errors} "
        f"cpu={measurement.cpu_ms:.2f} ms/req rss={measurement.peak_rss_mb:.0f} MB"
    )


def _soak(server: Server, pids: list[int], mix: list, seconds: float) -> report.Soak:
    """One long mixed run sampling RSS each second: is memory flat under sustained load?

    The workloads of ``mix`` (token issuance, introspection, the citizen's code flow) run at
    once, each with its own wrk, as a production day mixes them.
    """
    title = " + ".join(f"{workload.key} c={connections}" for workload, connections in mix)
    _log(f"[sqlite] soak: {title} for {seconds:g} s")
    with RssSampler(pids, interval=1.0) as sampler, ThreadPoolExecutor(len(mix)) as pool:
        runs = [
            pool.submit(run_wrk, server.url, w.script, w.env, connections=c, seconds=seconds) for w, c in mix
        ]
        results = [future.result() for future in runs]
    soak = report.Soak(
        workload=title,
        connections=sum(connections for _, connections in mix),
        seconds=max(result.seconds for result in results),
        rps=sum(result.rps for result in results),
        errors=sum(result.errors for result in results),
        first_mb=sampler.window_mean_mb(0, SOAK_WINDOW),
        last_mb=sampler.window_mean_mb(seconds - SOAK_WINDOW, seconds + 1),
        peak_mb={pid: status_kib(pid, "VmHWM") / 1024 for pid in pids},
    )
    _log(
        f"[sqlite] soak: {soak.rps:.0f} req/s, errors={soak.errors}, first {soak.first_mb} "
        f"last {soak.last_mb} MB, drift {soak.worst_drift:.1%}"
    )
    return soak


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    command = "python -m bench" + "".join(" " + shlex.quote(a) for a in (argv or sys.argv[1:]))
    run = report.Run(
        command=command, seconds=args.seconds, connections=args.connections, workers=args.workers
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="idp-bench-") as tmp:
        work = Path(tmp)
        peers = (
            {}
            if args.no_peer
            else {
                "token": start_peer(work / "peer-jwt.log", "jwt"),
                "introspect": start_peer(work / "peer-opaque.log", "opaque"),
                "flow": start_peer(work / "peer-flow.log", script="oidc-provider-flow-peer.mjs"),
            }
        )
        try:
            _bench_database(run, args, work, "sqlite", None, peers)
            if not args.no_postgres and postgres.available():
                with postgres.cluster() as url:
                    _bench_database(run, args, work, "postgresql", url, peers)
        finally:
            for peer in peers.values():
                peer.stop()
            for log in work.glob("*.log"):  # kept for a look after the run
                shutil.copy(log, LOGS / log.name)
    run.load_after = report.load_average()
    if not args.no_write:
        report.write(run)
        _log(f"wrote {report.RESULTS}")


if __name__ == "__main__":
    main()
