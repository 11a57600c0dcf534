"""Fast writes of many rows: COPY (inserts) or one statement over arrays (updates) on
PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

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


def insert_instance(connection: BaseDatabaseWrapper, instance: Model) -> None:
    """Insert one model instance in plain SQL and set its primary key: the ORM's save, without
    its query building (a fifteenth of an Ed-Fi POST, profiled). No signals are sent."""
    meta, quote = instance._meta, connection.ops.quote_name
    assert meta.pk is not None, f"{meta.label} has no primary key"
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(_column(f)) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"VALUES ({marks}) RETURNING {quote(_column(meta.pk))}",
            values,
        )
        instance.pk = cursor.fetchone()[0]
    instance._state.adding, instance._state.db = False, connection.alias


def _column(field: Field) -> str:
    return field.column or field.name


def update_column(
    connection: BaseDatabaseWrapper, table: str, column: Field, writes: Sequence[tuple[Any, int]]
) -> None:
    """Write (value, row ID) pairs into `column` of `table` inside the current transaction;
    values as column.get_db_prep_save gives them."""
    quoted = connection.ops.quote_name(_column(column))
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
