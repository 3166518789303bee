"""Each ``idp serve`` worker on a CPU of its own (idp.operations.affinity)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from idp import create_app
from idp.config import ConfigurationError
from idp.operations.affinity import pinned_cpus, usable_cpus
from tests.e2e_server import start_server
from tests.idp.operations.test_database_outages import worker_pids
from tests.idp.operations.test_serving import _threads_once_each_worker_has_started

TWO_CPUS = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs"
)


def _cpus_of_each_thread(threads: list[int]) -> set[frozenset[int]]:
    return {frozenset(os.sched_getaffinity(tid)) for tid in threads}


@pytest.mark.e2e
@TWO_CPUS
def test_each_worker_runs_on_a_cpu_of_its_own_and_the_main_process_on_all(tmp_path):
    server = start_server(tmp_path, workers=2)
    try:
        requests.get(server.url + "/jwks", timeout=5)
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        threads_of = _threads_once_each_worker_has_started(workers)
        pinned = []
        for worker in workers:
            cpus = _cpus_of_each_thread(threads_of[worker])
            assert len(cpus) == 1, cpus  # every thread of the worker on the same CPU...
            (only,) = cpus
            assert len(only) == 1  # ...and only that one
            pinned.append(only)
        assert pinned[0] != pinned[1]
        assert os.sched_getaffinity(server.process.pid) == set(usable_cpus())
    finally:
        server.stop()


@pytest.mark.e2e
@TWO_CPUS
def test_off_leaves_the_workers_on_every_cpu(tmp_path):
    server = start_server(tmp_path, workers=2, env={"IDP_WORKER_CPU_AFFINITY": "off"})
    try:
        requests.get(server.url + "/jwks", timeout=5)
        workers = worker_pids(server.process.pid)
        threads_of = _threads_once_each_worker_has_started(workers)
        for worker in workers:
            assert _cpus_of_each_thread(threads_of[worker]) == {frozenset(usable_cpus())}
    finally:
        server.stop()


def test_more_workers_than_cpus_are_not_pinned():
    cpus = usable_cpus()
    assert pinned_cpus("auto", len(cpus)) == cpus
    assert pinned_cpus("auto", len(cpus) + 1) is None
    assert pinned_cpus("off", 1) is None


def test_an_unknown_mode_is_refused_at_boot(tmp_path):
    with pytest.raises(ConfigurationError, match="IDP_WORKER_CPU_AFFINITY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "WORKER_CPU_AFFINITY": "always"})


#: A worker stand-in: takes a CPU, says which and what it may run on, then holds it until its
#: standard input closes.
TAKE_A_CPU = """
import json, os, sys
from idp.operations.affinity import pin_worker
cpu = pin_worker(sys.argv[1], json.loads(sys.argv[2]))
print(json.dumps([cpu, sorted(os.sched_getaffinity(0))]), flush=True)
sys.stdin.read()
"""


def _worker(directory, cpus: list[int]) -> tuple[subprocess.Popen, list]:
    """A real process, as Granian's workers are: the lock is the kernel's, per process."""
    process = subprocess.Popen(
        [sys.executable, "-c", TAKE_A_CPU, str(directory), json.dumps(cpus)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, json.loads(process.stdout.readline())


@TWO_CPUS
def test_workers_take_distinct_cpus_and_a_respawned_one_takes_the_cpu_left(tmp_path):
    cpus = usable_cpus()[:2]
    first, took_first = _worker(tmp_path, cpus)
    second, took_second = _worker(tmp_path, cpus)
    try:
        assert took_first == [cpus[0], [cpus[0]]]
        assert took_second == [cpus[1], [cpus[1]]]
        first.kill()  # a crashed worker: the kernel drops its lock
        first.wait(10)
        third, took_third = _worker(tmp_path, cpus)
        third.communicate(timeout=10)
        assert took_third == [cpus[0], [cpus[0]]]
    finally:
        second.communicate(timeout=10)


@TWO_CPUS
def test_with_every_cpu_taken_a_worker_stays_unpinned(tmp_path):
    cpus = usable_cpus()[:1]
    holder, took = _worker(tmp_path, cpus)
    try:
        assert took == [cpus[0], [cpus[0]]]
        late, took_late = _worker(tmp_path, cpus)
        late.communicate(timeout=10)
        assert took_late == [None, usable_cpus()]
    finally:
        holder.communicate(timeout=10)
