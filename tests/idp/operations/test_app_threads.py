"""The application threads of a worker (:mod:`idp.operations.app_threads`), on a real loop.

The real server's use of them is exercised through ``idp serve`` by the end-to-end tests
(the built-in demo calls the server from inside a request, three requests deep).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from idp.operations.app_threads import ApplicationThreads

STALL = 0.01


def run_on_a_loop(size: int, items: list, serve, stall: float = STALL) -> None:
    """Submit ``items`` from a running loop and wait until each one's future is done."""

    async def run() -> None:
        loop = asyncio.get_running_loop()

        def serve_then_tell(item) -> None:
            value, done = item
            serve(value)
            loop.call_soon_threadsafe(done.set_result, None)

        threads = ApplicationThreads(serve_then_tell, size, stall=stall)
        threads.start(loop)
        try:
            futures = []
            for value in items:
                done = loop.create_future()
                futures.append(done)
                threads.submit((value, done))
            await asyncio.wait_for(asyncio.gather(*futures), timeout=10)
        finally:
            threads.stop()

    # On a thread of its own: the browser tests keep an event loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_requests_that_make_progress_are_all_served_by_the_first_thread():
    served_by = []
    # A stall long enough that a loaded test machine's scheduler does not fake one.
    run_on_a_loop(8, list(range(200)), lambda _: served_by.append(threading.current_thread().name), stall=0.5)
    assert served_by == ["idp-wsgi-0"] * 200


def test_a_stuck_request_does_not_hold_those_behind_it():
    release = threading.Event()
    order = []

    def serve(value):
        if value == "stuck":
            assert release.wait(timeout=5)  # released only once "behind" was served
        order.append((value, threading.current_thread().name))
        if value == "behind":
            release.set()

    run_on_a_loop(8, ["stuck", "behind"], serve)
    assert order == [("behind", "idp-wsgi-1"), ("stuck", "idp-wsgi-0")]


def test_a_thread_woken_for_a_stall_sleeps_again_once_the_first_thread_moves_on():
    """Under a load that never empties the queue, the extra thread does not stay awake."""
    served_by = []

    def serve(value):
        served_by.append(threading.current_thread().name)
        time.sleep(1.0 if value == "slow" else 0.005)

    run_on_a_loop(8, ["slow", *range(300)], serve, stall=0.2)
    assert "idp-wsgi-1" in served_by  # woken while the first thread was stuck
    assert served_by[-50:] == ["idp-wsgi-0"] * 50


def test_requests_waiting_on_each_other_get_a_thread_each_up_to_the_size():
    """As the built-in demo: its callback waits for /token, which waits for /checktoken."""
    answered = {name: threading.Event() for name in ("callback", "token", "checktoken")}
    waits_for = {"callback": "token", "token": "checktoken"}
    threads_used = set()

    def serve(value):
        threads_used.add(threading.current_thread().name)
        if value in waits_for:
            assert answered[waits_for[value]].wait(timeout=5)
        answered[value].set()

    run_on_a_loop(3, ["callback", "token", "checktoken"], serve)
    assert threads_used == {"idp-wsgi-0", "idp-wsgi-1", "idp-wsgi-2"}


def test_a_single_thread_never_looks_for_a_stall():
    served_by = []
    run_on_a_loop(1, list(range(20)), lambda _: served_by.append(threading.current_thread().name))
    assert served_by == ["idp-wsgi-0"] * 20


def test_a_worker_needs_a_thread():
    with pytest.raises(ValueError, match="at least one"):
        ApplicationThreads(lambda item: None, 0)
