"""Per-process figures of a server's workers from ``/proc``: memory and CPU time.

``VmHWM`` is the peak resident set since the process started; ``VmRSS`` the current one.
CPU time (user + system, ``/proc/<pid>/stat``) spent per request is the figure that a
shared, noisy machine disturbs least. Granian's workers are the descendants of the
``idp serve`` process.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    pending, found = [pid], []
    while pending:
        for child in _children(pending.pop()):
            found.append(child)
            pending.append(child)
    return found


def status_kib(pid: int, field: str) -> int:
    """One ``kB`` field of /proc/<pid>/status (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(stat: Path) -> int | None:
    """utime + stime (fields 14 and 15) of a ``stat`` file; None when it is gone."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (and their finished threads), in seconds."""
    ticks = sum(_cpu_ticks(Path(f"/proc/{pid}/stat")) or 0 for pid in pids)
    return ticks / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU time of each live thread of the process, by thread id (the
    ``native_id`` of a Python thread), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        ticks = _cpu_ticks(task / "stat")
        if ticks is not None:
            found[int(task.name)] = ticks / tick
    return found


def worker_pids(server_pid: int) -> list[int]:
    """The serving processes: descendants holding real memory (not tiny helpers)."""
    pids = descendants(server_pid) or [server_pid]
    return [pid for pid in pids if status_kib(pid, "VmRSS") > 10 * 1024] or pids


def peak_rss_mb(pids: list[int]) -> float:
    """The largest ``VmHWM`` among the processes, in MiB."""
    return max((status_kib(pid, "VmHWM") for pid in pids), default=0) / 1024


class RssSampler:
    """Samples each process's VmRSS every ``interval`` seconds in a background thread."""

    def __init__(self, pids: list[int], interval: float = 1.0) -> None:
        self.pids = pids
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - self._started
            self.samples.append((elapsed, {pid: status_kib(pid, "VmRSS") for pid in self.pids}))

    def window_mean_mb(self, start: float, end: float) -> dict[int, float]:
        """Mean RSS per process over samples taken in ``[start, end)`` seconds."""
        chosen = [sample for at, sample in self.samples if start <= at < end]
        return (
            {pid: sum(sample[pid] for sample in chosen) / len(chosen) / 1024 for pid in self.pids}
            if chosen
            else {}
        )
