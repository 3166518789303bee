"""``python -m bench``: measure idp's hot paths beside the peer, write bench/RESULTS.md.

python -m bench                       # full run: SQLite, then PostgreSQL if installed
python -m bench --seconds 3 --no-soak --no-postgres   # a quick look while optimising
python -m bench --large-data          # each workload on the small and the large data set too
python -m bench --only signin federated --no-peer   # the flows with a fresh sign-in alone
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import large_data, postgres, report, sign_in
from bench.fixtures import idp_credentials, peer_credentials, prepare_flow, prepare_peer_flow
from bench.loadgen import run_wrk
from bench.procfs import RssSampler, status_kib, worker_pids
from bench.servers import WORK, IdpServer, Server, prepare_idp, start_peer
from bench.workloads import (
    FLOW_CONNECTIONS,
    FLOW_SETTINGS,
    LARGE_DATA,
    MACHINE_CONNECTIONS,
    SMALL_DATA,
    Workload,
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
    parser.add_argument(
        "--connections",
        type=int,
        nargs="+",
        help="concurrent connections of every workload (default: each its own, Workload.connections)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="idp serve workers")
    parser.add_argument("--threads", type=int, help="idp serve threads per worker (default: its own)")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds against the peer")
    parser.add_argument(
        "--soak-seconds", type=float, default=600.0, help="the mixed soak (the targets: 10 minutes)"
    )
    parser.add_argument("--no-soak", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--only", nargs="+", help="workload keys: token introspect checktoken jwks flow signin federated"
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument(
        "--large-data",
        action="store_true",
        help="also run each workload on an instance seeded with bench/large_data.py, alternating with "
        "the small one for --rounds rounds, and report the large/small ratios",
    )
    return parser.parse_args(argv)


def _log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Instance:
    """One running ``idp serve`` on one data set, and its workloads (their own clients)."""

    data: str
    server: IdpServer
    work: Path
    name: str
    pids: list[int] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    starts: int = 0

    def __post_init__(self) -> None:
        self.defaults = dict(self.server.env)

    def serve(self, settings: dict[str, str]) -> None:
        """(Re)start ``idp serve`` under ``settings`` (a workload's) on the same database."""
        wanted = {**self.defaults, **settings}
        if self.server.process is not None and self.server.env == wanted:
            return
        self.server.stop()
        self.server.env = wanted
        self.starts += 1
        self.server.start(self.work / f"idp-{self.name}-{self.starts}.log")
        self.pids = worker_pids(self.server.process.pid)
        if settings:
            _log(f"[{self.name}] idp serve restarted with {settings}, worker pids {self.pids}")


def _start_instance(
    run: report.Run, args: argparse.Namespace, work: Path, database: str, data: str, url: str | None
) -> Instance:
    """A fresh instance, seeded with the large data set if ``data`` says so, then its
    workloads' clients (``idp clients create``, on top of that data) and its server."""
    name = database if data == SMALL_DATA else f"{database}-{data}"
    instance = work / f"instance-{name}"
    server = prepare_idp(instance, url, args.workers, args.threads)
    if data == LARGE_DATA:
        seeded = large_data.seed(large_data.instance_database_url(str(instance), url))
        run.seeded[database] = seeded
        _log(f"[{database}] large data set seeded in {seeded.seconds:.1f} s: {seeded.sizes}")
    credentials = idp_credentials(server)
    instance = Instance(data, server, work, name)
    try:
        instance.serve({})
        _log(f"[{database}] idp serve on the {data} data set at {server.url}, worker pids {instance.pids}")
        instance.workloads = [
            token_workload(credentials),
            introspect_workload(server, credentials),
            checktoken_workload(server, credentials),
            jwks_workload(),
            flow_workload(prepare_flow(server), FLOW_SETTINGS),
        ]
    except BaseException:
        server.stop()
        raise
    return instance


def _bench_database(
    run: report.Run, args: argparse.Namespace, work: Path, database: str, urls: dict, peers: dict
) -> None:
    """Every workload on this database: on each data set of ``urls`` (its database URL by
    data set, None for the embedded SQLite) in turn within a round, then on the peer."""
    instances: list[Instance] = []
    try:
        for data, url in urls.items():
            instances.append(_start_instance(run, args, work, database, data, url))
        theirs = {}
        if peers:
            peer_creds = peer_credentials()
            theirs = {
                "token": token_workload(peer_creds),
                "introspect": introspect_workload(peers["introspect"], peer_creds),
                "flow": flow_workload(prepare_peer_flow(peers["flow"])),
            }
        small = instances[0]
        for index, workload in enumerate(small.workloads):
            if args.only and workload.key not in args.only:
                continue
            if not endpoint_exists(small.server, workload):
                run.missing.append((database, workload.title))
                _log(f"[{database}] {workload.title}: endpoint missing, skipped")
                continue
            for instance in instances:
                instance.serve(workload.settings)
            for connections in args.connections or workload.connections:
                rounds = args.rounds if workload.key in theirs or len(instances) > 1 else 1
                for _ in range(rounds):
                    for instance in instances:
                        measured = measure(
                            instance.server,
                            instance.pids,
                            database,
                            instance.workloads[index],
                            connections,
                            args.seconds,
                            instance.data,
                        )
                        _record(run, measured)
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
            small.serve({})
            mix = [
                (small.workloads[0], SOAK_CONNECTIONS[0]),
                (small.workloads[1], SOAK_CONNECTIONS[1]),
                (small.workloads[-1], SOAK_CONNECTIONS[2]),
            ]
            run.soak = _soak(small.server, small.pids, mix, args.soak_seconds)
        wanted = [key for key in sign_in.TITLES if not args.only or key in args.only]
        if wanted:
            small.serve({})
            _bench_sign_in(run, args, work, database, small, wanted)
    finally:
        for instance in instances:
            instance.server.stop()


def _bench_sign_in(
    run: report.Run, args: argparse.Namespace, work: Path, database: str, small: Instance, keys: list[str]
) -> None:
    """The flows with a fresh sign-in (:mod:`bench.sign_in`), last: they add an identity
    provider to the instance, which the other workloads ran without."""
    flows, upstream = sign_in.prepare(small.server, work)
    try:
        for key in keys:
            result = sign_in.measure(
                flows, key, database, small.pids, upstream if key == "federated" else None, args.seconds
            )
            run.sign_ins.append(result)
            upstream_cpu = result.upstream_cpu_ms
            _log(
                f"[{database}] idp  {key:10} c={result.concurrency:<3} "
                f"{result.flows_per_second:8.1f} flows/s flow p50={result.flow_p50_ms:.0f} "
                f"p99={result.flow_p99_ms:.0f} ms errors={result.errors} cpu={result.hub_cpu_ms:.1f} ms/flow"
                + ("" if upstream_cpu is None else f" upstream cpu={upstream_cpu:.1f} ms/flow")
            )
    finally:
        upstream.stop()


def _record(run: report.Run, measurement) -> None:
    run.measurements.append(measurement)
    r = measurement.result
    _log(
        f"[{measurement.database}] {measurement.server:4} {measurement.data:5} {measurement.workload.key:10} "
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
        command=command,
        seconds=args.seconds,
        connections=args.connections or sorted({*MACHINE_CONNECTIONS, *FLOW_CONNECTIONS}),
        workers=args.workers,
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
        data_sets = [SMALL_DATA, LARGE_DATA] if args.large_data else [SMALL_DATA]
        try:
            _bench_database(run, args, work, "sqlite", dict.fromkeys(data_sets), peers)
            if not args.no_postgres and postgres.available():
                with postgres.running_cluster() as cluster:
                    urls = {SMALL_DATA: cluster.url}
                    if args.large_data:
                        urls[LARGE_DATA] = cluster.create_database(f"idp_{LARGE_DATA}")
                    _bench_database(run, args, work, "postgresql", urls, peers)
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
