"""statesync's SQLite backend (core/db/sqlite3): Django's, converting placeholders once."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangosCursor

from statesync.core.db.sqlite3.base import LONGEST, SQLiteCursorWrapper, to_qmark

QUERIES = [
    "SELECT %s",
    "SELECT id FROM t WHERE a = %s AND b LIKE '50%%' AND c = '%%s'",
    "SELECT 1",
    "SELECT " + ", ".join(["%s"] * (LONGEST // 4)),  # longer than LONGEST: not remembered
    "SELECT '%%s', '100%%', " + ", ".join(["%s"] * (LONGEST // 4)),  # long, with a %%
]


@pytest.fixture
def cursors():
    db = sqlite3.connect(":memory:")
    yield db.cursor(factory=SQLiteCursorWrapper), db.cursor(factory=DjangosCursor)
    db.close()


def test_placeholders_are_converted_as_djangos_own_backend_converts_them(cursors):
    ours, djangos = cursors
    for query in QUERIES:
        assert ours.convert_query(query) == djangos.convert_query(query), query
    named = "SELECT %(a)s, %(b)s"
    assert ours.convert_query(named, param_names=["a", "b"]) == "SELECT :a, :b"


def test_a_short_query_is_converted_once_and_a_long_one_each_time(cursors):
    ours, _ = cursors
    to_qmark.cache_clear()
    for _ in range(3):
        ours.convert_query(QUERIES[1])
        ours.convert_query(QUERIES[-1])
        ours.convert_query(QUERIES[-2])
    seen = to_qmark.cache_info()
    assert (seen.misses, seen.hits, seen.currsize) == (1, 2, 1)


@pytest.mark.django_db(databases="__all__")
def test_every_sqlite_database_of_statesync_uses_it():
    sqlite = [c for c in connections.all() if c.vendor == "sqlite"]
    if not sqlite:
        pytest.skip("no database of the tests is SQLite (the PostgreSQL pass): nothing uses it")
    for connection in sqlite:
        with connection.cursor() as cursor:
            assert isinstance(cursor.cursor, SQLiteCursorWrapper), connection.alias
            cursor.execute("SELECT %s, '%%'", [5])
            assert cursor.fetchone() == (5, "%")
