"""``python -m bench.write_transactions [-n N]``: what one two-insert transaction costs on
PostgreSQL, sent in psycopg's pipeline mode (``BEGIN``, both inserts, ``COMMIT``) or as one
statement with data-modifying ``WITH`` queries (:mod:`idp.database.combined`).

A throwaway cluster on a loopback port (:mod:`bench.postgres`); for each way, the client's
CPU, the server backend's CPU (``/proc``) and the wall time per transaction, over ``N``
transactions after a warm-up, twice in alternation.
"""

from __future__ import annotations

import argparse
import time

import psycopg

from bench import postgres
from bench.procfs import cpu_seconds

_FIRST = "INSERT INTO a (v, w, n) VALUES (%(v)s, %(w)s, %(n)s) RETURNING id"
_SECOND = "INSERT INTO b (v, w) VALUES (%(v2)s, %(w2)s)"
_VALUES = {"v": "x", "w": "it's", "n": 3, "v2": "y", "w2": "z"}


def _pipelined(connection) -> None:
    with connection.pipeline():
        connection.execute("BEGIN")
        first = connection.cursor()
        first.execute(_FIRST, _VALUES)
        connection.cursor().execute(_SECOND, _VALUES)
        connection.execute("COMMIT")
    first.fetchone()


def _one_statement(connection) -> None:
    combined = f"WITH s0 AS ({_FIRST}), s1 AS ({_SECOND}) SELECT id FROM s0"
    connection.execute(combined, _VALUES).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.write_transactions")
    parser.add_argument("-n", type=int, default=3000)
    args = parser.parse_args()
    with postgres.cluster() as url, psycopg.connect(_libpq(url), autocommit=True) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        connection.execute("CREATE TABLE a (id serial PRIMARY KEY, v text, w text, n int)")
        connection.execute("CREATE TABLE b (id serial PRIMARY KEY, v text, w text)")
        for way in (_pipelined, _one_statement) * 2:
            for _ in range(200):
                way(connection)
            cpu, wall, server = time.process_time(), time.perf_counter(), cpu_seconds([backend])
            for _ in range(args.n):
                way(connection)
            per = 1e6 / args.n
            print(
                f"{way.__name__.strip('_'):14s} client CPU {(time.process_time() - cpu) * per:6.1f} µs, "
                f"server CPU {(cpu_seconds([backend]) - server) * per:6.1f} µs, "
                f"wall {(time.perf_counter() - wall) * per:7.1f} µs per transaction"
            )


def _libpq(url: str) -> str:
    """The cluster's SQLAlchemy URL as psycopg's own."""
    return url.replace("postgresql+psycopg://", "postgresql://")


if __name__ == "__main__":
    main()
