"""Reading the district's records of one object in scope, in ID order, a page at a time.

Scope (docs/DESIGN.md §6): District and School whole; a year-scoped object's records whose calendar
is in the school year (found by following first parents up to Calendar); persons with an
enrollment in that year. Pages are keyset-paginated, so memory stays flat whatever the size.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
from django.db import connections

from statesync.core import catalog, versions, wire
from statesync.core.db import sqlin
from statesync.core.db.routers import district_db
from statesync.core.sync.prefetch import prefetched

PAGE = 5000


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A district row that cannot be made into a record (a bad value written with SQL)."""

    id: int
    field: str
    message: str


@dataclass(slots=True)
class Outgoing:
    """A district record ready to send: its canonical JSON (an array), that JSON's digest, and
    the record's version (statesync.core.versions; not part of the record, so not of its digest)."""

    id: int
    data: bytes
    digest: str  # hex, as the state lists it: compared without converting either side
    values: list[Any]
    version: int | None = None

    def value(self, name: str, column: str) -> Any:
        return self.values[catalog.OBJECTS[name].columns.index(column)]


def _joins(name: str, target: str, base: str = "o") -> tuple[str, str, str]:
    """Tables from `name` (alias `base`) up its first parents to `target`: FROM, join
    conditions, and the target's alias.

    CROSS JOIN keeps SQLite walking `o` in ID order: with a plain JOIN it starts from the
    year's calendars and sorts every remaining row of the year for each page it returns.
    """
    path = catalog.path_to(name, target)
    tables = [f"{catalog.OBJECTS[name].district_table} {base}"]
    conditions = []
    alias = base
    for depth, parent in enumerate(path[1:], start=1):
        nxt = f"{base}{depth}"
        tables.append(f"{catalog.OBJECTS[parent].district_table} {nxt}")
        conditions.append(f"{alias}.{catalog.OBJECTS[parent].key} = {nxt}.id")
        alias = nxt
    return " CROSS JOIN ".join(tables), " AND ".join(conditions) or "1 = 1", alias


def scope_sql(name: str, school_year: int, after: int | None = None) -> tuple[str, list[Any]]:
    """FROM … WHERE … selecting `name`'s records in scope (alias o), with ID > `after` if
    given; and its parameters."""
    obj = catalog.get(name)
    year = catalog.YEAR_FIELD
    past = " AND o.id > %s" if after is not None else ""
    if obj.scoped_through:
        # In scope while a record of the year references it (a person while enrolled). The
        # referencing rows are bounded by `after` too: PostgreSQL merges them in order, and
        # otherwise walked every enrollment of the pages before for each page (35 ms a page
        # of people at seed scale, not 9).
        tables, joined, anchor = _joins(obj.scoped_through, catalog.YEAR_ANCHOR, base="t")
        bound = f" AND t.{obj.key} > %s" if after is not None else ""
        where = (
            f"{obj.district_table} o WHERE EXISTS (SELECT 1 FROM {tables} WHERE "
            f"t.{obj.key} = o.id AND {joined} AND {anchor}.{year} = %s{bound}){past}"
        )
        return where, [school_year, *([after, after] if after is not None else [])]
    after_params = [after] if after is not None else []
    if not obj.year_scoped:
        return f"{obj.district_table} o WHERE 1 = 1{past}", after_params
    tables, joined, anchor = _joins(obj.name, catalog.YEAR_ANCHOR)
    return f"{tables} WHERE {joined} AND {anchor}.{year} = %s{past}", [school_year, *after_params]


def count(name: str, school_year: int) -> int:
    """How many records of `name` are in scope."""
    where, params = scope_sql(name, school_year)
    with connections[district_db()].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {where}", params)
        return int(cursor.fetchone()[0])


@contextlib.contextmanager
def raw_cursor() -> Iterator[Any]:
    """A cursor on the district database that returns values as stored, closed after the block.

    On SQLite that is a connection of our own without Django's type converters: dates stay the
    ISO text they are stored as (a malformed one written with SQL then reaches the state and is
    rejected, rather than crashing the read), and no value is converted twice. It is opened
    for the block and closed after it (a per-thread cache of them was never closed).
    """
    connection = connections[district_db()]
    if connection.vendor != "sqlite":
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        return
    # Closed where the read ends, which for a generator dropped half-way is wherever the
    # garbage collector finds it: any thread may close it.
    own = sqlite3.connect(
        str(connection.settings_dict["NAME"]), timeout=30, check_same_thread=False
    )
    try:
        yield own.cursor()
    finally:
        own.close()


def pages(
    name: str, school_year: int, after: int = 0, page: int = PAGE
) -> Iterator[list[tuple[Any, ...]]]:
    """Raw rows (catalogue column order, then the version) of `name` in scope with ID > `after`,
    in ID order, a page at a time."""
    obj = catalog.get(name)
    where, params = scope_sql(obj.name, school_year, after)
    columns = ", ".join(f"o.{c}" for c in (*obj.columns, versions.FIELD))
    sql = f"SELECT {columns} FROM {where} ORDER BY o.id LIMIT {int(page)}"
    sqlite = connections[district_db()].vendor == "sqlite"
    if sqlite:
        sql = sql.replace("%s", "?")
    with raw_cursor() as cursor:  # one for the whole read, closed when it ends or is dropped
        while True:
            cursor.execute(sql, params)
            chunk = cursor.fetchall()
            yield chunk
            if len(chunk) < page:
                return
            params = scope_sql(obj.name, school_year, chunk[-1][0])[1]


def rows(name: str, school_year: int, after: int = 0) -> Iterator[tuple[Any, ...]]:
    """pages(), row by row."""
    for chunk in pages(name, school_year, after):
        yield from chunk


_NESTED = {"terms": list[wire.Term], "periods": list[wire.Period], "codes": list[str]}


@functools.cache
def _typed_decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    """JSON text decoded straight into `kind` (or null), as leniently as msgspec.convert with
    strict=False: one pass instead of decoding then converting, a third of the time (a
    person's race codes: 0.35 µs against 1.14)."""
    return msgspec.json.Decoder(kind | None, strict=False)


class RowReader:
    """Turns raw rows of one object into outgoing records (canonical JSON and digest)."""

    def __init__(self, name: str):
        self.obj = catalog.get(name)
        offset = 1 + len(self.obj.parent_keys)
        self.bools = [offset + i for i, f in enumerate(self.obj.fields) if f.kind == "bool"]
        self.nested = [
            (offset + i, f.name, _NESTED[f.kind], _typed_decoder(_NESTED[f.kind]))
            for i, f in enumerate(self.obj.fields)
            if f.is_list
        ]

    def read(self, row: tuple[Any, ...]) -> Outgoing | Unreadable:
        """A row of the record's columns followed by its version."""
        values = list(row[:-1])
        for i in self.bools:
            if values[i] is not None:
                values[i] = bool(values[i])  # SQLite stores 0/1
        for i, name, kind, decoder in self.nested:
            raw = values[i]
            try:
                # Normalised through the wire type: key order and shape as the state has it.
                if isinstance(raw, str | bytes):
                    values[i] = decoder.decode(raw) if raw else None
                elif raw is not None:
                    values[i] = msgspec.convert(raw, kind, strict=False)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                return Unreadable(row[0], name, f"the district's value cannot be read: {exc}")
        try:
            data = wire.encode(values)
        except (TypeError, msgspec.EncodeError) as exc:
            return Unreadable(row[0], "", f"the district's row cannot be encoded: {exc}")
        return Outgoing(values[0], data, wire.hexdigest(data), values, row[-1])


def records(name: str, school_year: int, after: int = 0) -> Iterator[Outgoing | Unreadable]:
    """Records of `name` in scope after ID `after`, in ID order."""
    reader = RowReader(name)
    chunks = pages(name, school_year, after)
    if connections[district_db()].vendor == "postgresql":
        # The next page is read while this one is encoded, as PostgreSQL runs the query in
        # its own process (a seed-scale differential: 2.0-2.4 -> 1.5-1.6 s). SQLite's reads
        # hold the GIL: no gain there, measured.
        chunks = prefetched(chunks, depth=1, on_exit=_close_connection)
    for chunk in chunks:
        for row in chunk:
            yield reader.read(row)


def _close_connection() -> None:
    """Close the connection a reading thread opened (Django's are one per thread)."""
    connections[district_db()].close()


def by_ids(name: str, ids: list[int]) -> dict[int, Outgoing | Unreadable]:
    """Records of `name` with these IDs, whatever their scope (selective and real-time sync)."""
    obj = catalog.get(name)
    reader = RowReader(obj.name)
    found: dict[int, Outgoing | Unreadable] = {}
    columns = ", ".join((*obj.columns, versions.FIELD))
    mark = "?" if connections[district_db()].vendor == "sqlite" else "%s"
    with raw_cursor() as cursor:
        for marks, part in sqlin.pieces(ids, mark):
            cursor.execute(f"SELECT {columns} FROM {obj.district_table} WHERE id IN {marks}", part)
            for row in cursor.fetchall():
                found[row[0]] = reader.read(row)
    return found


def clock() -> int:
    """The district's version clock now: every record version at or below it is committed, so
    a record not found after this is gone as of this version (statesync.core.versions)."""
    connection = connections[district_db()]
    with connection.cursor() as cursor:
        return versions.now(cursor, connection.vendor)


def existing_ids(name: str, ids: list[int]) -> set[int]:
    """Which of `ids` the district still has, in scope or not."""
    table = catalog.get(name).district_table
    found: set[int] = set()
    with connections[district_db()].cursor() as cursor:
        for marks, part in sqlin.pieces(ids):
            cursor.execute(f"SELECT id FROM {table} WHERE id IN {marks}", part)
            found.update(r[0] for r in cursor.fetchall())
    return found


def schools_of(name: str, ids: list[int]) -> dict[int, int]:
    """The school each record belongs to, where it belongs to one (for the error log)."""
    if name == catalog.SCHOOL:
        return {i: i for i in ids}
    if not catalog.path_to(name, catalog.SCHOOL) or not ids:
        return {}
    tables, joined, school = _joins(name, catalog.SCHOOL)
    result: dict[int, int] = {}
    with connections[district_db()].cursor() as cursor:
        for marks, part in sqlin.pieces(ids):
            cursor.execute(
                f"SELECT o.id, {school}.id FROM {tables} WHERE {joined} AND o.id IN {marks}", part
            )
            result.update(cursor.fetchall())
    return result
