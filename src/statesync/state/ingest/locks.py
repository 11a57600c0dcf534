"""The state's locks, in one place: which writers wait for which, and in what order.

SQLite has one writer at a time (every transaction takes the write lock when it begins), so
none of these is needed there. PostgreSQL's writers run at once, so decisions that must happen
once take an advisory lock held until their transaction ends. Locks are always taken in this
order, so no two writers wait on each other: a district's object (its batches, a value set at
the state), or the identity resolver's turn; then the issuing of state IDs, then the
state-wide check of enrollments.
"""

from __future__ import annotations

from django.db import connections

from statesync.core import catalog

# The (0, n) lock space is free for the state's own locks: tenant IDs start at 1.
ISSUING = 1  # issuing state IDs, and matching against those issued
ENROLLMENTS_ACROSS_DISTRICTS = 2  # E-OVERLAP between districts
RESOLVING = 3  # the identity resolver's turn: one queued batch at a time, in arrival order


def _advisory(using: str, first: int, second: int) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", [first, second])


def hold_district_object(using: str, tenant_id: int, obj: catalog.DisObject) -> None:
    """One writer of a district's object at a time: what one judged stale, deleted or held is
    still so when it writes."""
    _advisory(using, tenant_id, catalog.order().index(obj.name))


def hold_issuing(using: str) -> None:
    """Issue state IDs, and match against those issued, one transaction at a time across
    districts: two districts sending the same new student at once must not both issue one."""
    _advisory(using, 0, ISSUING)


def hold_enrollments_across_districts(using: str) -> None:
    """Judge primary enrollments against other districts' one transaction at a time: two
    districts sending the same student's overlapping enrollments at once must not both see
    none of the other's."""
    _advisory(using, 0, ENROLLMENTS_ACROSS_DISTRICTS)


def hold_resolving(using: str) -> None:
    """Settle identity one queued batch at a time across the state, in arrival order, however
    many resolvers run: a district's enrollments are checked only once its people are settled."""
    _advisory(using, 0, RESOLVING)
