"""Causes before consequences: which rejected records keep the others out.

A record whose parent the state did not accept is rejected with E-PARENT, and so is everything
under it: one bad school makes its calendars, days, sections and enrollments fail. Following
each E-PARENT record up through its parents to the first record rejected for a reason of its
own (or never at the state) gives the root cause; fixing the causes fixes their consequences.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import connections

from statesync.core import catalog
from statesync.core.db import sqlin
from statesync.core.db.routers import district_db
from statesync.core.wire import RuleCode
from statesync.district.models import ErrorLogEntry

Node = tuple[str, int]  # (object, record ID)


@dataclass(frozen=True)
class Cause:
    """A record the state rejects for a reason of its own, and the records waiting on it."""

    object: str
    record_id: int
    school_id: int | None
    code: str
    field: str
    message: str
    consequences: int  # records under it rejected with E-PARENT only, because of it
    only: int  # of those, the ones no other cause holds back: fixing it alone gets them in


@dataclass
class Analysis:
    causes: list[Cause]
    # Each consequence (a record rejected with E-PARENT only) and the causes holding it back.
    roots: dict[Node, frozenset[Node]]


def root_causes() -> list[Cause]:
    """What the state rejects now, by cause, the causes that hold back most records first."""
    return analyse().causes


def analyse() -> Analysis:
    current = ErrorLogEntry.objects.filter(current=True)
    parents = _parents_of(
        current.filter(code=RuleCode.PARENT).values_list("object", "record_id", "field")
    )
    own: dict[Node, ErrorLogEntry] = {}
    for entry in current.exclude(code=RuleCode.PARENT).order_by("id").iterator(chunk_size=2000):
        own.setdefault((entry.object, entry.record_id), entry)
    memo: dict[Node, frozenset[Node]] = {}

    def roots(node: Node) -> frozenset[Node]:
        # Up through parents rejected only because of theirs; a record rejected for a reason
        # of its own (or not at the state at all) is where a chain ends: a cause.
        if node not in memo:
            found: set[Node] = set()
            for parent in parents[node]:
                ends = parent in own or parent not in parents
                found |= {parent} if ends else roots(parent)
            memo[node] = frozenset(found)
        return memo[node]

    consequences = {node: roots(node) for node in parents if node not in own}
    under: Counter[Node] = Counter()
    only: Counter[Node] = Counter()
    for held in consequences.values():
        under.update(held)
        if len(held) == 1:
            only.update(held)
    causes = [
        Cause(
            node[0],
            node[1],
            entry.school_id if entry else None,
            entry.code if entry else RuleCode.PARENT,
            entry.field if entry else "",
            entry.message if entry else f"{node[0]} {node[1]} is not at the state",
            under.get(node, 0),
            only.get(node, 0),
        )
        for node in set(own) | set(under)
        for entry in [own.get(node)]
    ]
    causes.sort(key=lambda c: (-c.consequences, c.object, c.record_id))
    return Analysis(causes, consequences)


def _parents_of(rows) -> dict[Node, list[Node]]:
    """Each E-PARENT record's parents the state did not accept, looked up in the district's
    tables (each entry's field names the parent key)."""
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)
    for name, record_id, field in rows:
        obj = catalog.OBJECTS.get(name)
        if obj and field in obj.parent_keys:
            wanted[(name, field)].append(record_id)
    parents: dict[Node, list[Node]] = defaultdict(list)
    with connections[district_db()].cursor() as cursor:
        for (name, key), ids in wanted.items():
            obj = catalog.OBJECTS[name]
            parent = obj.parent_objects[obj.parent_keys.index(key)].name
            for marks, part in sqlin.pieces(sorted(set(ids))):
                sql = f"SELECT id, {key} FROM {obj.district_table} WHERE id IN {marks}"
                cursor.execute(sql, part)
                for record_id, parent_id in cursor.fetchall():
                    if parent_id is not None:
                        parents[(name, record_id)].append((parent, parent_id))
    return dict(parents)
