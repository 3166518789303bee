"""How the threads of an ``idp serve`` worker are scheduled: ``SCHED_BATCH``, and a GIL
switch interval of :data:`SWITCH_INTERVAL` instead of CPython's 5 ms.

Why: a worker's threads take turns at one GIL. The application thread holds it for most of
a request, and during it wakes other threads of the same process: Granian's runtime thread,
to send the answer (``response_bytes``), and the event loop (``call_soon_threadsafe``);
Granian's runtime threads also wake on every request that arrives. Under Linux's default
policy a woken thread preempts the running one (wake-up preemption), on a busy core the
very thread that holds the GIL; the woken thread then needs the GIL and blocks at once, and
each hand-over costs two context switches and cold caches for nothing. A ``SCHED_BATCH``
thread does not preempt on wake-up (sched(7): "mildly disfavored in scheduling decisions";
the kernel's ``check_preempt_wakeup_fair`` returns early for it): it runs when the holder
blocks or its time slice ends, and takes the GIL then. It keeps its ``nice`` value and its
share of the CPU; only the wake-up preemption goes.

The woken thread that then waits for the GIL waits up to the switch interval before the
holder is asked to let go; at 5 ms that wait became the tail (``/introspect`` p99 at 128
connections 186 against 98 ms with ``SCHED_BATCH`` alone); at 0.5 ms it is gone.

Measured on two cores with wrk on the same machine (``idp serve``, two workers, alternated
rounds of 5 s, medians; SQLite unless said): ``/introspect`` at 128 connections 2,624
against 2,078 requests/s, 0.72 against 0.89 ms of worker CPU per request, p99 74 against
108 ms; ``/token`` 1,979 against 1,797, p99 103 against 109 ms; the code flow at 16 flows
246 against 223 flows/s, 7.0 against 7.7 ms of CPU per flow; on PostgreSQL, whose server
processes keep the default policy, ``/introspect`` 1,893 against 1,782, p99 106 against
128 ms. The shorter switch interval alone changed nothing (2,047 requests/s, p99 112 ms).
Checkout against checkout (with against without, alternated, three rounds, medians): the
flow 221 against 199 flows/s, ``/introspect`` 2,253 against 2,027; on PostgreSQL ``/token``
2,231 against 1,948, and the flow 150 against 161 then 143 against 145 flows/s: no gain
there, whose application threads wait on the database more than on each other.

Threads inherit their creator's policy (``pthread_create``'s default ``PTHREAD_INHERIT_SCHED``),
so setting it on the worker's main thread before the application and Granian's runtime
start their threads covers them all. The main process (Granian's supervisor) and the
database keep the default policy. ``deploy/systemd/idp.service`` allows it:
``RestrictRealtime=`` forbids only the realtime policies, and ``sched_setscheduler`` is in
its ``SystemCallFilter=@system-service`` (``@resources``, per ``systemd-analyze
syscall-filter``), not in the ``@privileged`` it removes.
"""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)

#: The GIL switch interval in a worker, in seconds (``sys.setswitchinterval``).
SWITCH_INTERVAL = 0.0005


def schedule_worker_threads() -> bool:
    """On a worker's main thread, before any other thread starts: batch scheduling for the
    threads of this process from now on, and the shorter switch interval with it. False
    (logged) where the system has no ``SCHED_BATCH`` or refuses it; nothing changes then."""
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None:
        log.info("worker threads keep the default scheduling: this system has no SCHED_BATCH")
        return False
    try:
        os.sched_setscheduler(0, batch, os.sched_param(0))
    except OSError as error:
        log.warning("worker threads keep the default scheduling: SCHED_BATCH refused (%s)", error)
        return False
    sys.setswitchinterval(SWITCH_INTERVAL)
    return True
