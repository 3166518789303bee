"""The Python threads that run the WSGI application in a worker: one at a time unless stuck.

Why not a plain pool whose threads all take requests as they come: the application holds
the GIL for most of a request, so threads of one process that run at once only take turns,
and each turn costs a GIL hand-over (futex wake-ups, a context switch, cold caches).
Measured with ``python -m bench --only flow --no-peer --threads N`` (wrk, 16 flows, two
workers on two cores, alternated runs): 4 threads answering together gave 327–375 flows/s
at 4.2–4.6 ms of server CPU per flow and p99 92–124 ms; 1 thread 448–494 flows/s at
3.2–3.6 ms and p99 50–63 ms. Two threads taking requests from the queue, against one
(three alternated runs each, Granian's asyncio tasks): the flow 413 against 437 flows/s,
p99 42–55 against 26–28 ms; ``/token`` client_credentials, whose ES256 signature and
SQLite insert leave room for a second thread, 3,717 against 3,190 requests/s at 128
connections with the same p99 (61–68 ms); on PostgreSQL, one against four: the flow 329
against 278 flows/s, ``/token`` 3,555 against 4,264 requests/s. The machine endpoints
lose 10 to 20 % (each request pays two thread hand-overs that nothing overlaps); the code
flow, which every citizen takes, gains as much and keeps its p99 under 50 ms, and decides.
Parallelism comes from the worker processes.

Yet one thread is not enough: a request can wait on something other than the CPU (a
PostgreSQL that answers slowly, an upstream identity provider's token endpoint, the built-in
demo calling this very server three requests deep), and the requests queued behind it
would wait too, or never be served.

So the first thread takes every request; the others sleep. When requests have been
waiting for :data:`STALL` seconds and no thread has taken one meanwhile, every awake
thread is stuck, and one more is woken (up to ``size``). It serves until another thread
takes a request again, or the queue is empty, then sleeps again. A waiting request
therefore waits at most about one :data:`STALL` per stuck thread before another thread
serves it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

#: How long queued requests may wait while no thread takes any before one more thread is
#: woken: well above the CPU time of an ordinary request (0.2–1.5 ms on the code flow) and
#: above the pauses that another thread would not shorten (the thread descheduled by the
#: OS, SQLite's busy handler), below what a citizen notices. At 16 flows on two cores, 5 ms
#: woke an extra thread 115 times in 8 s, 20 ms 0 to 2 times.
STALL = 0.02

_STOP = object()


class ApplicationThreads:
    """Up to ``size`` threads that call ``serve(item)`` for each item :meth:`submit` gets.

    :meth:`submit` and the stall check run on the event loop; ``serve`` on the threads.
    """

    def __init__(self, serve: Callable[[Any], None], size: int, stall: float = STALL) -> None:
        if size < 1:
            raise ValueError("a worker needs at least one application thread")
        self._serve = serve
        self._stall = stall
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        #: Items taken by each thread; each thread writes only its own count.
        self._taken = [0] * size
        #: For each extra thread (index 1 on): what wakes it, and whether it sleeps.
        self._alarms = [queue.SimpleQueue() for _ in range(size)]
        self._asleep = [True] * size
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._check: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        for number in range(len(self._taken)):
            target = self._first if number == 0 else self._extra
            thread = threading.Thread(target=target, args=(number,), name=f"idp-wsgi-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5) -> None:
        """Let each thread finish its request and end."""
        for alarm in self._alarms[1:]:
            alarm.put(_STOP)
        self._waiting.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=timeout)

    def submit(self, item: Any) -> None:
        """On the loop: queue ``item`` and, if nothing watches the queue, watch it."""
        self._waiting.put(item)
        if self._check is None and len(self._taken) > 1:
            self._check = self._loop.call_later(self._stall, self._look_for_a_stall, sum(self._taken))

    # On the loop ---------------------------------------------------------------------

    def _look_for_a_stall(self, taken_before: int) -> None:
        self._check = None
        if self._waiting.empty():
            return
        taken = sum(self._taken)
        if taken == taken_before:
            self._wake_one()
        self._check = self._loop.call_later(self._stall, self._look_for_a_stall, taken)

    def _wake_one(self) -> None:
        for number in range(1, len(self._asleep)):
            if self._asleep[number]:
                self._asleep[number] = False
                self._alarms[number].put(True)
                return

    # On the threads ------------------------------------------------------------------

    def _first(self, number: int) -> None:
        while (item := self._waiting.get()) is not _STOP:
            self._taken[number] += 1
            self._serve(item)
        self._waiting.put(_STOP)  # for an extra thread draining the queue

    def _extra(self, number: int) -> None:
        """Serve while the other threads stay stuck; sleep once one of them takes an item
        (or the queue is empty), so that one thread at a time runs the application again.

        Without the first condition, an extra thread woken by a passing stall (a thread
        descheduled on a busy machine) served until the queue emptied, which under a
        sustained load it never does: two threads then took turns at the GIL for good
        (seen per thread in ``/proc/<worker>/task`` under ``wrk``, on the flow and on
        ``/token``). With this rule, against without (two checkouts alternated, three
        rounds each way, medians): the flow at 16 flows 211 against 190 and 212 against 207
        flows/s, at 8.0 against 8.6 and 8.1 against 8.1 ms of CPU per flow; ``/token`` at
        128 connections 1,747 against 1,567 and 1,655 against 1,651 requests/s.
        """
        alarm = self._alarms[number]
        while alarm.get() is not _STOP:
            others = self._taken_by_others(number)
            while True:
                try:
                    item = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._waiting.put(_STOP)
                    return
                self._taken[number] += 1
                self._serve(item)
                if self._taken_by_others(number) != others:
                    break
            self._asleep[number] = True

    def _taken_by_others(self, number: int) -> int:
        return sum(self._taken) - self._taken[number]
