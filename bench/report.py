"""``bench/RESULTS.md``: machine, command, measured tables, peer ratios and targets.

The measured part is regenerated on every run; whatever follows the ``ANALYSIS_MARKER``
line of the existing file (the hand-written analysis) is kept.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from statistics import median

from bench.large_data import Seeded
from bench.loadgen import WRK_THREADS, wrk_version
from bench.servers import PEER_DIR, REPO, node_version
from bench.sign_in import SignInResult
from bench.workloads import LARGE_DATA, SMALL_DATA, WARMUP_SECONDS, Measurement

RESULTS = REPO / "bench" / "RESULTS.md"
ANALYSIS_MARKER = "<!-- analysis: hand-written below, kept by `python -m bench` -->"
TARGET_RATIO = 1.3
#: The issue's "cost does not grow with the data": the large data set keeps this share of the
#: small one's rate.
TARGET_LARGE_RATIO = 0.9
TARGET_P99_MS = 50.0
TARGET_RSS_MB = 150.0
TARGET_FLAT = 0.10


@dataclass
class Soak:
    workload: str
    connections: int
    seconds: float
    rps: float
    errors: int
    first_mb: dict[int, float]
    last_mb: dict[int, float]
    peak_mb: dict[int, float]

    @property
    def worst_drift(self) -> float:
        return max(abs(self.last_mb[pid] - self.first_mb[pid]) / self.first_mb[pid] for pid in self.first_mb)


@dataclass
class Run:
    command: str
    seconds: float
    connections: list[int]
    workers: int
    measurements: list[Measurement] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (database, workload title)
    seeded: dict[str, Seeded] = field(default_factory=dict)  # the large data set, by database
    soak: Soak | None = None
    sign_ins: list[SignInResult] = field(default_factory=list)  # reported, no target
    load_before: str = field(default_factory=lambda: load_average())
    load_after: str = ""


def load_average() -> str:
    """1, 5 and 15 minute load averages: how busy the shared machine was."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _first_line(path: str, prefix: str) -> str:
    for line in Path(path).read_text().splitlines():
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip()
    return "?"


def machine(run: Run) -> list[str]:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    peer_package = PEER_DIR / "node_modules" / "oidc-provider" / "package.json"
    peer_version = "?"
    if peer_package.exists():
        peer_version = json.loads(peer_package.read_text())["version"]
    return [
        f"- CPU: {_first_line('/proc/cpuinfo', 'model name')}, {len(_cpus())} cores visible",
        f"- Memory: {_first_line('/proc/meminfo', 'MemTotal')}; kernel {platform.release()}",
        f"- Python {platform.python_version()}, Granian {version('granian')}, Flask {version('flask')}, "
        f"Authlib {version('authlib')}, SQLAlchemy {version('sqlalchemy')}",
        f"- Peer: oidc-provider {peer_version} on Node.js {node_version()}",
        f"- Load generator: {wrk_version()}, {WRK_THREADS} threads, on the same machine",
        f"- Load average (1/5/15 min) before the run: {run.load_before}; after: {run.load_after}",
        f"- Commit: {commit}; run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    ]


def _cpus() -> list[str]:
    return [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("processor")]


def _row(m: Measurement, label: str) -> str:
    r = m.result
    rate = f"{m.rate:,.0f}"
    return (
        f"| {m.workload.title} | {m.connections} | {label} | {rate} {m.workload.unit} | {r.p50_ms:.1f} | "
        f"{r.p99_ms:.1f} | {r.p999_ms:.1f} | {r.errors} | {m.cpu_ms:.2f} | {m.peak_rss_mb:.0f} |"
    )


def _tables(run: Run) -> list[str]:
    lines = []
    for database in dict.fromkeys(m.database for m in run.measurements):
        lines += [
            f"### {database}",
            "",
            "| workload | conns | server (round) | rate | p50 ms | p99 ms | p99.9 ms | errors "
            "| server CPU ms/req | peak RSS/worker MB |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        rounds: dict[tuple, int] = {}
        for m in (m for m in run.measurements if m.database == database):
            key = (m.workload.key, m.connections, m.server, m.data)
            rounds[key] = rounds.get(key, 0) + 1
            label = m.server if m.data == SMALL_DATA else f"{m.server}, {m.data} data"
            lines.append(_row(m, f"{label} ({rounds[key]})"))
        lines += [
            f"| {title} | | idp | endpoint not available (404) | | | | | | |"
            for db, title in run.missing
            if db == database
        ]
        lines.append("")
    return lines


@dataclass
class Comparison:
    """Runs of one workload against reference runs (ours against the peer, or the large data
    set against the small one): median rate and median CPU per request over the rounds (one
    disturbed round on a shared machine does not move a median)."""

    database: str
    workload: str
    connections: int
    ours: list[Measurement]
    reference: list[Measurement]

    @property
    def our_rate(self) -> float:
        return median(m.rate for m in self.ours)

    @property
    def reference_rate(self) -> float:
        return median(m.rate for m in self.reference)

    @property
    def our_cpu_ms(self) -> float:
        return median(m.cpu_ms for m in self.ours)

    @property
    def reference_cpu_ms(self) -> float:
        return median(m.cpu_ms for m in self.reference)

    @property
    def ratio(self) -> float:
        return self.our_rate / self.reference_rate

    @property
    def cpu_ratio(self) -> float:
        """Reference CPU per request over ours: the efficiency ratio, robust to a busy machine."""
        return self.reference_cpu_ms / self.our_cpu_ms


def _is_peer(m: Measurement) -> bool:
    return m.server == "peer"


def _is_ours(m: Measurement) -> bool:
    return m.server != "peer" and m.data == SMALL_DATA


def _is_ours_on_large_data(m: Measurement) -> bool:
    return m.server != "peer" and m.data == LARGE_DATA


def comparisons(
    run: Run,
    ours: Callable[[Measurement], bool] = _is_ours,
    reference: Callable[[Measurement], bool] = _is_peer,
) -> list[Comparison]:
    """One comparison per (database, workload, connections) that has reference runs."""
    found: dict[tuple, Comparison] = {}
    for m in run.measurements:
        key = (m.database, m.workload.key, m.connections)
        if reference(m) and key not in found:
            found[key] = Comparison(*key, ours=[], reference=[])
    for m in run.measurements:
        comparison = found.get((m.database, m.workload.key, m.connections))
        if comparison is not None and (ours(m) or reference(m)):
            (comparison.ours if ours(m) else comparison.reference).append(m)
    return [comparison for comparison in found.values() if comparison.ours]


def large_data_comparisons(run: Run) -> list[Comparison]:
    """The large data set's runs against the small one's, workload by workload."""
    return comparisons(run, ours=_is_ours_on_large_data, reference=_is_ours)


def _ratio_table(run: Run) -> list[str]:
    lines = [
        "| database | workload | conns | idp req/s (median) | peer req/s (median) | ours/peer | "
        f"≥ {TARGET_RATIO}× | idp CPU ms/req | peer CPU ms/req | ours/peer by CPU |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for c in comparisons(run):
        lines.append(
            f"| {c.database} | {c.workload} | {c.connections} | {c.our_rate:,.0f} | "
            f"{c.reference_rate:,.0f} | {c.ratio:.2f} | "
            f"{'yes' if c.ratio >= TARGET_RATIO else 'no'} | {c.our_cpu_ms:.2f} | "
            f"{c.reference_cpu_ms:.2f} | {c.cpu_ratio:.2f} |"
        )
    return [*lines, ""]


def _large_data_section(run: Run) -> list[str]:
    """``--large-data``: what the large data set holds, how long seeding took, and each
    workload's rate on it against the small data set's (same rounds, alternating)."""
    if not run.seeded:
        return []
    sizes = next(iter(run.seeded.values())).sizes
    seeding = ", ".join(f"{database} {seeded.seconds:.0f} s" for database, seeded in run.seeded.items())
    lines = [
        "## Large data / small data",
        "",
        "`--large-data`: each workload also runs against a second instance whose database "
        f"`bench/large_data.py` seeded through SQL ({seeding}) with {sizes.services:,} service "
        f"clients, {sizes.data_providers:,} data providers owning {sizes.scopes:,} scopes, "
        f"{sizes.habilitations:,} habilitations, {sizes.access_tokens:,} access-token records and "
        f"the codes of the citizens' ones ({sizes.citizens:,} citizens and their consents behind "
        "them); the workloads' own clients "
        "are created on top of it as on the small one. Within each round the small data set "
        "runs first, then the large one.",
        "",
        "| database | workload | conns | small (median) | large (median) | large/small | "
        f"≥ {TARGET_LARGE_RATIO}× | small CPU ms/req | large CPU ms/req | large/small by CPU |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for c in large_data_comparisons(run):
        unit, met = c.ours[0].workload.unit, c.ratio >= TARGET_LARGE_RATIO
        lines.append(
            f"| {c.database} | {c.workload} | {c.connections} | {c.reference_rate:,.0f} {unit} | "
            f"{c.our_rate:,.0f} {unit} | {c.ratio:.2f} | {'yes' if met else 'no'} | "
            f"{c.reference_cpu_ms:.2f} | {c.our_cpu_ms:.2f} | {c.cpu_ratio:.2f} |"
        )
    return [*lines, ""]


def _sign_in_section(run: Run) -> list[str]:
    """The flows with a fresh sign-in (:mod:`bench.sign_in`): figures without a target."""
    if not run.sign_ins:
        return []
    lines = [
        "## Flows with a fresh sign-in (reported, no target)",
        "",
        "Each flow is a new browser (no cookie) signing in, then the code, `/token` and "
        "`/userinfo` (`bench/sign_in.py`): with the hub's password (one Argon2id verification "
        "per flow, deliberately costly), or through panva/oidc-provider as an upstream identity "
        "provider (its pages, and the hub's server-to-server exchange with it). Python threads "
        "drive them (one browser each) on the same machine; latencies are per flow.",
        "",
        "| database | workload | browsers | flows/s | HTTP requests per flow | flow p50 ms | flow p99 ms "
        "| errors | idp CPU ms/flow | upstream CPU ms/flow |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.sign_ins:
        upstream = "" if r.upstream_cpu_ms is None else f"{r.upstream_cpu_ms:.1f}"
        per_flow = r.requests / r.flows if r.flows else float("nan")
        lines.append(
            f"| {r.database} | {r.title} | {r.concurrency} | {r.flows_per_second:,.1f} | {per_flow:.0f} | "
            f"{r.flow_p50_ms:.0f} | {r.flow_p99_ms:.0f} | {r.errors} | {r.hub_cpu_ms:.1f} | {upstream} |"
        )
    return [*lines, ""]


def _targets(run: Run) -> list[str]:
    ours = [m for m in run.measurements if m.server == "idp"]
    most = {}  # each workload's p99 is judged at its largest concurrency (128; the flow's 16)
    for m in ours:
        most[m.workload.key] = max(most.get(m.workload.key, 0), m.connections)
    slow = [
        f"{m.database} {m.workload.key} c={m.connections} {m.result.p99_ms:.0f} ms"
        for m in ours
        if m.connections == most[m.workload.key] and m.result.p99_ms >= TARGET_P99_MS
    ]
    judged_at = ", ".join(f"{key} c={connections}" for key, connections in most.items())
    errors = sum(m.result.errors for m in ours)
    peer_errors = sum(m.result.errors for m in run.measurements if m.server == "peer")
    rss = max((m.peak_rss_mb for m in ours), default=0)
    if run.soak:  # VmHWM also catches spikes shorter than the sampling interval
        rss = max(rss, *run.soak.peak_mb.values())
    ratio_misses = [
        f"{c.database} {c.workload} c={c.connections}: {c.ratio:.2f}"
        for c in comparisons(run)
        if c.ratio < TARGET_RATIO
    ]
    large_misses = [
        f"{c.database} {c.workload} c={c.connections}: {c.ratio:.2f}"
        for c in large_data_comparisons(run)
        if c.ratio < TARGET_LARGE_RATIO
    ]
    lines = [
        f"- Throughput ≥ {TARGET_RATIO}× the peer (token, introspection, code flow): "
        + ("met" if not ratio_misses else "NOT met — " + "; ".join(ratio_misses)),
        f"- p99 < {TARGET_P99_MS:.0f} ms ({judged_at}): "
        + ("met" if not slow else "NOT met — " + "; ".join(slow)),
        f"- Zero errors (idp): {'met' if errors == 0 else f'NOT met — {errors} errors'}"
        f" (the peer: {peer_errors}, wrk's 5 s timeouts under overload)",
        f"- Peak RSS per worker ≤ {TARGET_RSS_MB:.0f} MB: {'met' if rss <= TARGET_RSS_MB else 'NOT met'}"
        f" (largest sample or VmHWM {rss:.0f} MB)",
    ]
    if run.seeded:
        lines.append(
            f"- Every workload on the large data set ≥ {TARGET_LARGE_RATIO}× its rate on the small one: "
            + ("met" if not large_misses else "NOT met — " + "; ".join(large_misses))
        )
    if run.soak:
        s = run.soak
        per_worker = ", ".join(
            f"{s.first_mb[p]:.0f} → {s.last_mb[p]:.0f} MB (peak {s.peak_mb[p]:.0f})" for p in s.first_mb
        )
        lines.append(
            f"- RSS flat within {TARGET_FLAT:.0%} over {s.seconds:.0f} s at {s.connections} connections "
            f"({s.workload}, {s.rps:,.0f} req/s, {s.errors} errors), mean of first vs last 30 s per worker: "
            f"{per_worker}: {'met' if s.worst_drift <= TARGET_FLAT else 'NOT met'} "
            f"(worst drift {s.worst_drift:.1%})"
        )
    return lines


def write(run: Run) -> None:
    kept = ""
    if RESULTS.exists() and ANALYSIS_MARKER in RESULTS.read_text():
        kept = RESULTS.read_text().split(ANALYSIS_MARKER, 1)[1]
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python -m bench` (`make bench`). Each figure is one wrk run of "
        f"{run.seconds:g} s after a {WARMUP_SECONDS} s warm-up against `idp serve` (Granian, {run.workers} "
        "workers) on a fresh database; the peer runs alternately with it (A B A B A B by "
        "default) on the same machine with the same wrk settings, and the ratios compare "
        "medians over those rounds. Errors count socket errors and every response with a "
        "status the workload did not expect (non-2xx; for the flow, anything but 302/200). "
        "Latencies are per HTTP request; the flow's rate is completed flows of 3 requests "
        "(authorize redirect, token, userinfo). The peer cannot introspect its own JWT access "
        "tokens (`unsupported_token_type`), so its introspection runs use a second peer issuing "
        "opaque tokens, as its README's introspection figure does. The code flow compares "
        "like with like: the peer's flow (`oidc-provider-flow-peer.mjs`) issues opaque access "
        "tokens, as FranceConnect does, so idp's flow runs on the same database restarted with "
        "`IDP_ACCESS_TOKEN_FORMAT=opaque` (the other workloads with the default, JWTs).",
        "",
        "## Machine and command",
        "",
        *machine(run),
        f"- Command: `{run.command}`",
        "",
        "## Targets",
        "",
        *_targets(run),
        "",
        "## Ours / peer",
        "",
        *_ratio_table(run),
        *_large_data_section(run),
        *_sign_in_section(run),
        "## All runs",
        "",
        *_tables(run),
        ANALYSIS_MARKER,
    ]
    RESULTS.write_text("\n".join(lines) + (kept or "\n"))
