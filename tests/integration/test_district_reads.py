"""Reading the district's records in scope, a page at a time (statesync.core.sync.source)."""

from __future__ import annotations

import time

import pytest
from django.db import connections

from statesync.core import catalog
from statesync.core.db.routers import district_db
from statesync.core.sync import source

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_small_pages_read_exactly_the_records_in_scope(seeded):
    """Each page starts after the last one's ID, also inside the scope's own subquery (a
    person is in scope while enrolled in the year): nothing is read twice or skipped."""
    seeded("small")
    for name in catalog.NAMES:
        whole = [row[0] for row in source.rows(name, 2024)]
        paged = [row[0] for chunk in source.pages(name, 2024, page=37) for row in chunk]
        assert paged == whole == sorted(set(whole)), name
        assert len(whole) == source.count(name, 2024), name
        later = [
            row[0]
            for chunk in source.pages(name, 2024, after=whole[len(whole) // 2])
            for row in chunk
        ]
        assert later == whole[len(whole) // 2 + 1 :], name


def _connections_to(database: str) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database])
        return cursor.fetchone()[0]


def test_reading_ahead_leaves_no_connection_open_on_postgresql(seeded):
    connection = connections[district_db()]
    if connection.vendor != "postgresql":
        pytest.skip("pages are read ahead on PostgreSQL only: CI's PostgreSQL pass runs this")
    seeded("small")
    connection.ensure_connection()
    database = connection.settings_dict["NAME"]
    before = _connections_to(database)
    for name in catalog.NAMES:
        records = list(source.records(name, 2024))
        assert [r.id for r in records] == [row[0] for row in source.rows(name, 2024)]
    # Each object's reading thread closed the connection it opened (a worker runs for weeks).
    assert _settled_connections(database, before) == before
    abandoned = source.records(catalog.PERSON, 2024)
    next(abandoned)
    abandoned.close()  # a run cancelled mid-object
    assert _settled_connections(database, before) == before


def _settled_connections(database: str, expected: int) -> int:
    """The connections to `database` once closed ones are gone: a backend leaves
    pg_stat_activity a moment after its client closed it (the full PostgreSQL suite once saw
    one still there)."""
    for _ in range(50):
        if (found := _connections_to(database)) == expected:
            return found
        time.sleep(0.1)
    return found
