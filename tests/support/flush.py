"""Emptying PostgreSQL between transactional tests in milliseconds, not a quarter second.

Django empties every table with one TRUNCATE after each transactional test; on PostgreSQL that
makes a new file for each of some eighty tables and their indexes, about 0.25 s a test (hundreds
of tests start servers and workers, so are transactional). Most tables a test leaves are empty
or hold a few rows: those are deleted from, which costs next to nothing (Django's foreign keys
are deferred, so the order does not matter), and only the big ones are truncated.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.backends.postgresql.operations import DatabaseOperations

TRUNCATE_FROM = 1024 * 1024  # bytes on disk: a table this big is truncated, not deleted from

_django_sql_flush = DatabaseOperations.sql_flush


def sql_flush(
    self: DatabaseOperations,
    style,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    """Delete from the tables that ever held a row; truncate the big ones."""
    if reset_sequences or not tables:
        return _django_sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    with self.connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relname = ANY(%s) AND pg_relation_size(oid) > 0",
            [list(tables)],
        )
        sizes = dict(cursor.fetchall())
    quote = self.quote_name
    big = [quote(t) for t, size in sizes.items() if size >= TRUNCATE_FROM]
    sql = [f"DELETE FROM {quote(t)};" for t, size in sizes.items() if size < TRUNCATE_FROM]
    if big:
        sql.append(f"TRUNCATE {', '.join(big)} CASCADE;")
    return sql
