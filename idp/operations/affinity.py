"""Each ``idp serve`` worker on a CPU of its own (``IDP_WORKER_CPU_AFFINITY``).

Why: a worker's threads (the event loop, the application thread, Granian's runtime threads)
hand one GIL to each other several times per request. Left to the kernel, they spread over
every CPU and migrate between them, so that each hand-over is a wake-up on another CPU (an
inter-processor interrupt, which in a virtual machine is a VM exit) and the thread that
takes the GIL finds its caches cold. Pinned, a worker's threads share one CPU and its
caches, and the hand-overs stay local. Measured on this project's benchmark machine (two
vCPUs, wrk and the peer on them too; ``python -m bench --no-peer --no-soak``, alternated
runs): ``bench/RESULTS.md``, "Round two, eleventh pass". nginx's ``worker_cpu_affinity
auto`` does the same for its workers.

``auto`` (the default) pins only when there are no more workers than CPUs this process may
run on (``sched_getaffinity``: a ``taskset`` or a cgroup cpuset narrows it); with more, two
workers would share a CPU while another idles, so none is pinned. ``off`` leaves the
scheduler alone.

Which CPU: each worker takes the first free one by locking its file in the server's private
run directory (``flock``). The kernel drops the lock when the process ends, so a worker that
Granian respawns after a crash takes the CPU its predecessor left.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

#: The lock a worker holds on its CPU's file, for the life of the process.
_held: IO | None = None


def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def pinned_cpus(mode: str, workers: int) -> list[int] | None:
    """The CPUs the workers are pinned to, one each; None when they are not pinned."""
    if mode == "off":
        return None
    if not hasattr(os, "sched_setaffinity"):
        log.info("workers not pinned to CPUs: this system has no sched_setaffinity")
        return None
    cpus = usable_cpus()
    if workers > len(cpus):
        log.info("workers not pinned to CPUs: %d workers for %d CPUs", workers, len(cpus))
        return None
    return cpus


def pin_worker(directory: str, cpus: list[int]) -> int | None:
    """On a worker: take the first of ``cpus`` whose lock file in ``directory`` is free and
    move every thread of this process to it (threads started later inherit it). The CPU, or
    None (logged) when every one is taken or the system refuses."""
    global _held
    for cpu in cpus:
        handle = open(Path(directory) / f"cpu-{cpu}.lock", "w")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            for thread in os.listdir("/proc/self/task"):
                with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                    os.sched_setaffinity(int(thread), {cpu})
        except OSError as error:
            handle.close()
            log.warning("worker not pinned to CPU %d: %s", cpu, error)
            return None
        _held = handle
        log.info("worker pinned to CPU %d", cpu)
        return cpu
    log.warning("worker not pinned: every CPU of %s is taken", cpus)
    return None
