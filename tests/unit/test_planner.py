"""PostgreSQL's planner statistics for tables that fill in bulk (statesync.core.db.planner)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from statesync.core.db import planner


def _estimate(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def test_a_table_never_analysed_is_analysed_once_with_the_rows_just_written(db):
    if connection.vendor != "postgresql":
        assert planner.analyse_once(connection, "auth_user") is False  # nothing to do
        pytest.skip("statistics matter to PostgreSQL's planner: CI's PostgreSQL pass runs this")
    planner.forget()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE planner_probe (id bigint PRIMARY KEY)")
        cursor.execute("INSERT INTO planner_probe SELECT generate_series(1, 3000)")
        assert _estimate("planner_probe") == -1  # never analysed
        assert planner.analyse_once(connection, "planner_probe") is True
        assert _estimate("planner_probe") == 3000  # counted in the writing transaction
        assert planner.analyse_once(connection, "planner_probe") is False  # known now
        cursor.execute("DROP TABLE planner_probe")
