"""Reading the district's records of one object in scope, in ID order, a page at a time.

Scope (DESIGN.md §6): District and School whole; a year-scoped object's records whose calendar
is in the school year (found by following first parents up to Calendar); persons with an
enrollment in that year. Pages are keyset-paginated, so memory stays flat whatever the size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
from django.db import connections

from statesync import catalog, wire
from statesync.routers import district_db

PAGE = 5000


@dataclass(frozen=True)
class Unreadable:
    """A district row that cannot be made into a record (a bad value written with SQL)."""

    id: int
    field: str
    message: str


def _joins(name: str, target: str) -> tuple[str, str]:
    """FROM clause joining `name` (alias o) up its first parents to `target`, and its alias."""
    path = catalog.path_to(name, target)
    clause = f"{catalog.OBJECTS[name].district_table} o"
    alias = "o"
    for depth, parent in enumerate(path[1:], start=1):
        nxt = f"p{depth}"
        key = catalog.OBJECTS[parent].key
        clause += (
            f" JOIN {catalog.OBJECTS[parent].district_table} {nxt} ON {alias}.{key} = {nxt}.id"
        )
        alias = nxt
    return clause, alias


def scope_sql(name: str) -> tuple[str, bool]:
    """FROM … WHERE … selecting `name`'s records in scope (alias o); whether it takes a year."""
    obj = catalog.get(name)
    if obj.name == "PersonIdentity":
        return (
            f"{obj.district_table} o WHERE EXISTS (SELECT 1 FROM district_enrollment e "
            "JOIN district_calendar c ON e.calendar_id = c.id "
            "WHERE e.person_id = o.id AND c.school_year = %s)",
            True,
        )
    if not obj.year_scoped:
        return f"{obj.district_table} o WHERE 1 = 1", False
    clause, calendar = _joins(obj.name, "Calendar")
    return f"{clause} WHERE {calendar}.school_year = %s", True


def count(name: str, school_year: int) -> int:
    """How many records of `name` are in scope."""
    where, takes_year = scope_sql(name)
    with connections[district_db()].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {where}", [school_year] if takes_year else [])
        return cursor.fetchone()[0]


def rows(name: str, school_year: int, after: int = 0, page: int = PAGE) -> Iterator[tuple]:
    """Raw rows (catalogue column order) of `name` in scope with ID > `after`, in ID order."""
    obj = catalog.get(name)
    where, takes_year = scope_sql(obj.name)
    columns = ", ".join(f"o.{c}" for c in obj.columns)
    sql = f"SELECT {columns} FROM {where} AND o.id > %s ORDER BY o.id LIMIT {int(page)}"
    connection = connections[district_db()]
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [school_year, after] if takes_year else [after])
            chunk = cursor.fetchall()
        yield from chunk
        if len(chunk) < page:
            return
        after = chunk[-1][0]


class RowReader:
    """Turns raw rows of one object into wire records."""

    def __init__(self, name: str):
        self.obj = catalog.get(name)
        self.type = wire.record_type(self.obj.name)
        self.columns = self.obj.columns
        self.json_columns = {
            i
            for i, c in enumerate(self.columns)
            if c in {f.name for f in self.obj.fields if f.is_list}
        }

    def read(self, row: tuple) -> wire.Record | Unreadable:
        values = dict(zip(self.columns, row, strict=True))
        try:
            for i in self.json_columns:
                raw = row[i]
                if isinstance(raw, str | bytes):
                    values[self.columns[i]] = json.loads(raw) if raw else None
            return msgspec.convert(values, self.type, strict=False)
        except (msgspec.ValidationError, ValueError) as exc:
            message = str(exc)
            field = (
                message.rsplit("$.", 1)[1].split("`")[0].split("[")[0] if "$." in message else ""
            )
            return Unreadable(row[0], field, f"the district's value cannot be read: {message}")


def records(name: str, school_year: int, after: int = 0) -> Iterator[wire.Record | Unreadable]:
    """Records of `name` in scope after ID `after`, in ID order."""
    reader = RowReader(name)
    for row in rows(name, school_year, after):
        yield reader.read(row)


def by_ids(name: str, ids: list[int]) -> dict[int, wire.Record | Unreadable]:
    """Records of `name` with these IDs, whatever their scope (selective and real-time sync)."""
    obj = catalog.get(name)
    reader = RowReader(obj.name)
    found: dict[int, wire.Record | Unreadable] = {}
    columns = ", ".join(obj.columns)
    with connections[district_db()].cursor() as cursor:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            cursor.execute(
                f"SELECT {columns} FROM {obj.district_table} WHERE id IN "
                f"({', '.join(['%s'] * len(part))})",
                part,
            )
            for row in cursor.fetchall():
                found[row[0]] = reader.read(row)
    return found


def existing_ids(name: str, ids: list[int]) -> set[int]:
    """Which of `ids` the district still has, in scope or not."""
    table = catalog.get(name).district_table
    found: set[int] = set()
    with connections[district_db()].cursor() as cursor:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            cursor.execute(
                f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})", part
            )
            found.update(r[0] for r in cursor.fetchall())
    return found


def schools_of(name: str, ids: list[int]) -> dict[int, int]:
    """The school each record belongs to, where it belongs to one (for the error log)."""
    if name == "School":
        return {i: i for i in ids}
    if not catalog.path_to(name, "School") or not ids:
        return {}
    clause, school = _joins(name, "School")
    result: dict[int, int] = {}
    with connections[district_db()].cursor() as cursor:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            cursor.execute(
                f"SELECT o.id, {school}.id FROM {clause} WHERE o.id IN "
                f"({', '.join(['%s'] * len(part))})",
                part,
            )
            result.update(cursor.fetchall())
    return result
