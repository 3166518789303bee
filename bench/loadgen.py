"""The load generator: Debian's ``wrk`` (C, epoll), driven by the Lua scripts in ``bench/lua``.

wrk is used for both servers with the same threads, connections and duration. Its
latency histogram covers every request; the Lua ``done`` hook prints one JSON line
(``BENCH_JSON {...}``) that this module parses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).parent / "lua"
WRK_THREADS = 2


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int  # socket errors + responses with an unexpected status
    p50_ms: float
    p99_ms: float
    p999_ms: float
    flows: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def flows_per_second(self) -> float:
        return self.flows / self.seconds


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: run `make bench` (it apt-get installs wrk)")
    return path


def wrk_version() -> str:
    done = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def run_wrk(
    base_url: str, script: str, env: dict[str, str], *, connections: int, seconds: float
) -> LoadResult:
    """One wrk run; ``env`` parameterises the Lua script (see bench/lua/*.lua)."""
    command = [
        wrk_binary(),
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_DIR / script),
        base_url,
    ]
    run_env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), **env}
    done = subprocess.run(
        command, env=run_env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["socket_errors"] + max(data["status_errors"], data["bad_status"]),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        p999_ms=data["p999_us"] / 1000,
        flows=data["flows"],
    )
