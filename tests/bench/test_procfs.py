"""bench.procfs's per-thread CPU time, which ``python -m bench.threads`` splits a worker's by."""

from __future__ import annotations

import os
import threading
import time

from bench.procfs import cpu_seconds, thread_cpu_seconds


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_each_thread_is_charged_its_own_cpu_time():
    spinner = threading.Thread(target=_spin, args=(0.4,))
    before = thread_cpu_seconds(os.getpid())
    process_before = cpu_seconds([os.getpid()])
    spinner.start()
    during = 0.0  # the spinner's time at the last reading while it lived
    while spinner.is_alive():
        time.sleep(0.01)  # the main thread waits without spending CPU
        during = thread_cpu_seconds(os.getpid()).get(spinner.native_id, during)
    spinner.join()

    main = threading.main_thread().native_id
    assert during >= 0.2  # read while it lived, under its own id
    assert spinner.native_id not in before  # a thread started after the first reading
    assert thread_cpu_seconds(os.getpid())[main] - before[main] < 0.2
    assert cpu_seconds([os.getpid()]) - process_before >= 0.3  # the process counts it too
