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


def test_statistics_that_count_fewer_rows_than_were_just_written_are_taken_again(db):
    # A copy table analysed while it held a few rows (or before it was emptied) kept those
    # statistics, and the next first resync's lookups were planned as for a handful of rows.
    if connection.vendor != "postgresql":
        pytest.skip("statistics matter to PostgreSQL's planner: CI's PostgreSQL pass runs this")
    planner.forget()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE planner_probe (id bigint PRIMARY KEY)")
        cursor.execute("INSERT INTO planner_probe SELECT generate_series(1, 5)")
        cursor.execute("ANALYZE planner_probe")
        cursor.execute("INSERT INTO planner_probe SELECT generate_series(6, 3005)")
        assert _estimate("planner_probe") == 5
        assert planner.analyse_once(connection, "planner_probe", written=3000) is True
        assert _estimate("planner_probe") == 3005
        planner.forget()
        assert planner.analyse_once(connection, "planner_probe", written=3000) is False  # fresh
        cursor.execute("DROP TABLE planner_probe")
