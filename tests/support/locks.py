"""Holding a database's write lock from a connection of the test's own, as a busy writer would.

While it is held, statesync's writers there wait (SQLite's busy timeout, PostgreSQL's lock
queue) and its readers go on, so a run can be kept "under way" for as long as a test needs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connections


@contextmanager
def write_lock(alias: str, table: str) -> Iterator[None]:
    """Block writes to `table` of database `alias` (on SQLite: the whole file) until exit."""
    conn = connections[alias]
    settings = conn.settings_dict
    if conn.vendor == "sqlite":
        other = sqlite3.connect(str(settings["NAME"]), timeout=30, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            yield
            other.execute("COMMIT")
        finally:
            other.close()
        return
    with (
        psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"] or "postgres",
            dbname=settings["NAME"],
        ) as other,
        other.transaction(),
    ):
        other.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield


def other_connection(alias: str) -> psycopg.Connection:
    """A connection of the test's own to PostgreSQL database `alias`, outside Django's."""
    settings = connections[alias].settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
        autocommit=True,
    )


@contextmanager
def advisory_lock(alias: str, first: int, second: int) -> Iterator[psycopg.Connection]:
    """Hold PostgreSQL's advisory lock (first, second) of `alias` from another connection."""
    with other_connection(alias) as other:
        other.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [first, second])
        try:
            yield other
        finally:
            other.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", [first, second])


def waiting_for(other: psycopg.Connection, first: int, second: int) -> int:
    """How many sessions wait for the advisory lock (first, second) now."""
    row = other.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s AND objsubid = 2",
        [first, second],
    ).fetchone()
    return int(row[0]) if row else 0
