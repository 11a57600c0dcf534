"""PostgreSQL's planner statistics for tables that fill in bulk.

Until a table is first analysed, PostgreSQL guesses that any condition keeps a fixed share of
its rows: a lookup of a batch's 2,000 keys then looks as if it kept them all, and the
planner scans the district's whole copy for it (39 ms, not 2, at 120,000 people). Autovacuum
analyses a table only after a minute and more (never, where it is off), which is a whole first
resync.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# Tables known to have statistics, per database alias (they keep them once they have them).
_ANALYSED: dict[str, set[str]] = {}


def analyse_once(connection: BaseDatabaseWrapper, table: str, written: int = 0) -> bool:
    """Analyse `table` if PostgreSQL has never done so, or if its statistics count fewer rows
    than the `written` just put in it (they were taken when it held less: emptied since, or
    analysed young); whether it did. Once per table and process. Call it after writing: in
    the writing transaction, ANALYZE counts the rows it wrote."""
    known = _ANALYSED.setdefault(connection.alias, set())
    if connection.vendor != "postgresql" or table in known:
        return False
    with connection.cursor() as cursor:
        # reltuples is -1 until a table is analysed or vacuumed; COPY does not set it.
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        (tuples,) = cursor.fetchone()
        stale = tuples < 0 or tuples < written
        if stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    known.add(table)
    return stale


def forget() -> None:
    """Check every table again (tests that drop and recreate their databases)."""
    _ANALYSED.clear()
