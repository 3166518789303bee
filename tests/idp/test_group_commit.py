"""Group commit: concurrent writes share transactions, and a failed batch writes nothing."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import nullcontext

import pytest

from idp.hotpath.group_commit import GroupCommitter
from idp.hotpath.writer_lock import WriterLock


class Database:
    """A real SQLite file; counts the connections the committer opens (one per batch)."""

    def __init__(self, path) -> None:
        self.path = str(path / "group.sqlite3")
        self.batches = 0
        with sqlite3.connect(self.path) as connection:
            connection.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")

    def connect(self):
        self.batches += 1
        return sqlite3.connect(self.path)

    def ids(self) -> set[str]:
        with sqlite3.connect(self.path) as connection:
            return {row[0] for row in connection.execute("SELECT id FROM t")}


def insert(value: str):
    return ("INSERT INTO t (id) VALUES (?)", (value,))


@pytest.fixture
def database(tmp_path) -> Database:
    return Database(tmp_path)


def test_alone_a_write_commits_at_once(database):
    GroupCommitter(database.connect, nullcontext()).commit([insert("a"), insert("b")])
    assert database.ids() == {"a", "b"}
    assert database.batches == 1


def test_concurrent_writes_are_all_committed_in_fewer_transactions(database, tmp_path):
    committer = GroupCommitter(database.connect, WriterLock(database.path))
    threads, per_thread = 8, 50
    start = threading.Barrier(threads)

    def write(thread: int) -> None:
        start.wait()
        for n in range(per_thread):
            committer.commit([insert(f"{thread}-{n}")])

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert database.ids() == {f"{t}-{n}" for t in range(threads) for n in range(per_thread)}
    assert database.batches < threads * per_thread


def test_a_failed_batch_writes_nothing_and_every_owner_gets_the_error(database):
    committer = GroupCommitter(database.connect, nullcontext())
    committer.commit([insert("taken")])
    with pytest.raises(sqlite3.IntegrityError):
        committer.commit([insert("fresh"), insert("taken")])
    assert database.ids() == {"taken"}
    committer.commit([insert("fresh")])  # the committer is not left stuck as leader
    assert database.ids() == {"taken", "fresh"}


def test_the_writer_lock_excludes_other_processes(tmp_path):
    """While one worker holds it, another process cannot take it, and can once released."""
    import subprocess
    import sys

    lock = WriterLock(str(tmp_path / "db.sqlite3"))
    probe = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'a')\n"
        "try:\n"
        "    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(1)\n"
    )

    def other_process_gets_it() -> bool:
        return subprocess.run([sys.executable, "-c", probe, lock.path], check=False).returncode == 0

    with lock:
        assert not other_process_gets_it()
    assert other_process_gets_it()
