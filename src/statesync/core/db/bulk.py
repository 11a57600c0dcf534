"""Fast writes of many rows: COPY (inserts) or one statement over arrays (updates) on
PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from statesync.core.db import sqlin

# Values PostgreSQL takes in a typed array as psycopg sends them.
_PLAIN = frozenset({str, int, float, bool, dt.date, dt.datetime, type(None)})


def insert_rows(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
) -> None:
    """Insert `rows` (values in `columns` order) into `table` inside the current transaction."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})",
                rows if isinstance(rows, list) else list(rows),
            )


def update_column(
    connection: BaseDatabaseWrapper, table: str, column: Field, writes: Sequence[tuple[Any, int]]
) -> None:
    """Write (value, row ID) pairs into `column` of `table` inside the current transaction;
    values as column.get_db_prep_save gives them."""
    quoted = connection.ops.quote_name(column.column or column.name)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and all(type(v) in _PLAIN for v, _ in writes):
            # One statement: psycopg's executemany is a statement per row.
            page = f"unnest(%s::bigint[], %s::{column.db_type(connection)}[]) AS page(id, value)"
            cursor.execute(
                f"UPDATE {table} SET {quoted} = page.value FROM {page} WHERE {table}.id = page.id",
                [sqlin.array_param([i for _, i in writes]), [v for v, _ in writes]],
            )
            return
        cursor.executemany(f"UPDATE {table} SET {quoted} = %s WHERE id = %s", list(writes))
