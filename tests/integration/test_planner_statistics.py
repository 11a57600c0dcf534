"""A bulk load leaves PostgreSQL's planner blind until statistics are gathered; without them a
resync's scoped reads joined every enrollment again for each page (docs/BENCHMARKS.md)."""

from __future__ import annotations

import pytest
from django.db import connections

from statesync import catalog


def test_seeding_gathers_the_planners_statistics_on_postgresql(seeded):
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("statistics matter to PostgreSQL's planner: CI's PostgreSQL pass runs this")
    seeded("small", defects=False)
    tables = [obj.district_table for obj in catalog.OBJECTS.values()]
    with connection.cursor() as cursor:
        # reltuples is -1 until a table is analysed (or vacuumed); COPY does not set it.
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [tables])
        estimated = dict(cursor.fetchall())
    assert sorted(estimated) == sorted(tables)
    assert all(estimated[table] > 0 for table in tables), estimated
