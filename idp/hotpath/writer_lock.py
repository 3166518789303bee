"""One SQLite writer at a time across the worker processes, woken as soon as the lock frees.

SQLite admits one writer. Another one gets ``SQLITE_BUSY`` and its busy handler sleeps 1, 2,
5, 10... ms between retries (https://sqlite.org/c3ref/busy_timeout.html), while a token
record insert holds the lock for about 0.1 ms: under load, writers mostly wait on those
sleeps. An advisory lock on a file beside the database (``flock(2)``) queues the lean
writers of every worker process instead, and the kernel wakes the next one on release.
``flock`` locks belong to an open file, so a thread lock orders the threads of a process.
Other writers (Flask requests, the CLI) still meet SQLite's own lock, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading


class WriterLock:
    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}-writer.lock"
        self._thread_lock = threading.Lock()
        self._file: int | None = None
        self._pid = 0

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _descriptor(self) -> int:
        """This process's own open file (a forked child must not share its parent's)."""
        if self._file is None or self._pid != os.getpid():
            self._file = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._file

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *_exc) -> None:
        self.release()
