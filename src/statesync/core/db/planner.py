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


def analyse_once(connection: BaseDatabaseWrapper, table: str) -> bool:
    """Analyse `table` if PostgreSQL has never done so; whether it did. Call it after writing:
    in the writing transaction, ANALYZE counts the rows it wrote."""
    known = _ANALYSED.setdefault(connection.alias, set())
    if connection.vendor != "postgresql" or table in known:
        return False
    with connection.cursor() as cursor:
        # reltuples is -1 until a table is analysed or vacuumed; COPY does not set it.
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        (tuples,) = cursor.fetchone()
        if tuples < 0:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    known.add(table)
    return tuples < 0


def forget() -> None:
    """Check every table again (tests that drop and recreate their databases)."""
    _ANALYSED.clear()


# PostgreSQL's own advice for data held in memory or on SSD.
CACHED_PAGE_COST = "1.1"


def cost_pages_as_cached(connection: BaseDatabaseWrapper) -> None:
    """For the current transaction, cost random reads as reads of cached pages: a batch's
    lookups probe the keys of rows written moments ago. At the default random_page_cost (4, a
    spinning disk's) 2,000 probes look dearer than scanning a district's whole copy, which
    took 30 ms where the probes take 2 to 12 (120,000 people, measured)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('random_page_cost', %s, true)", [CACHED_PAGE_COST])
