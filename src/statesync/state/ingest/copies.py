"""The state's copy tables (one per object, every district's rows side by side): the one
module that writes their SQL. Their columns come from the catalogue, the tenant column is
named once here, and values go in as the tables store them and come out as the wire carries
them."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

import msgspec
from django.db import connections

from statesync.core import catalog, versions, wire
from statesync.core.db import bulk, sqlin

# Which district a copy is of. (The state's other tables, rejections and tombstones among
# them, name it district_id, as their models do.)
TENANT = "tenant_id"


def columns(obj: catalog.DisObject) -> list[str]:
    """A copy row's columns, in the order store rows list them: the tenant, the record as the
    wire carries it, its school year where it is its parent's, and what the state adds."""
    year = [catalog.YEAR_FIELD] if obj.year_column else []
    record = ["record_id", *obj.parent_keys, *(f.name for f in obj.fields)]
    return [TENANT, *record, *year, "digest", "accepted_at", "run", versions.FIELD]


def select(
    using: str, obj: catalog.DisObject, tenant: int, key: str, values: list, wanted: Sequence[str]
) -> list[tuple]:
    """Rows (record ID, *wanted) of `tenant`'s copies of `obj` whose `key` is among `values`."""
    listed = ", ".join(("record_id", *wanted))
    sql = f"SELECT {listed} FROM {obj.state_table} WHERE {TENANT} = %s AND "
    rows: list[tuple] = []
    connection = connections[using]
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, key, values):
            cursor.execute(sql + condition, [tenant, *params])
            rows.extend(cursor.fetchall())
    return rows


def upsert(using: str, obj: catalog.DisObject, rows: list[list], fresh: bool) -> None:
    """Insert or replace rows (in columns() order) by (tenant, record ID): COPY and one merge
    on PostgreSQL. With `fresh` (none is held), COPY straight into the table: no scratch
    table, no merge."""
    names = columns(obj)
    table = obj.state_table
    connection = connections[using]
    if fresh:
        bulk.insert_rows(connection, table, names, rows)
        return
    listed = ", ".join(names)
    updates = ", ".join(f"{c} = excluded.{c}" for c in names[2:])
    conflict = f"ON CONFLICT ({TENANT}, record_id) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({listed}) VALUES ({marks}) {conflict}", rows)
            return
        # COPY into a scratch table shaped like the target, then one set-based merge: far
        # fewer round trips than a statement per row.
        scratch = f"incoming_{table}"
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS "
            f"AS SELECT {listed} FROM {table} WITH NO DATA"
        )
        bulk.insert_rows(connection, scratch, names, rows)
        cursor.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {scratch} {conflict}")
        cursor.execute(f"TRUNCATE {scratch}")


def delete(using: str, obj: catalog.DisObject, tenant: int, ids: list[int]) -> int:
    """Delete `tenant`'s copies of `obj` among `ids`; how many there were."""
    return delete_where(using, obj.state_table, TENANT, tenant, ids)


def delete_where(
    using: str, table: str, tenant_column: str, tenant: int, ids: list[int], **equal: Any
) -> int:
    """Delete `tenant`'s rows of `table` whose record ID is among `ids` (and each column of
    `equal` holds its value); how many there were."""
    condition = "".join(f" AND {column} = %s" for column in equal)
    sql = f"DELETE FROM {table} WHERE {tenant_column} = %s{condition} AND "
    deleted = 0
    connection = connections[using]
    with connection.cursor() as cursor:
        for matches, part in sqlin.matching(connection, "record_id", ids):
            cursor.execute(sql + matches, [tenant, *equal.values(), *part])
            deleted += max(cursor.rowcount, 0)
    return deleted


def set_value(
    using: str,
    obj: catalog.DisObject,
    tenant: int,
    record_id: int,
    name: str,
    value: Any,
    digest: bytes,
) -> None:
    """One field of one copy changed by the state (a value it owns), with the digest that goes."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"UPDATE {obj.state_table} SET {name} = %s, digest = %s "
            f"WHERE {TENANT} = %s AND record_id = %s",
            [value, digest, tenant, record_id],
        )


def set_where_digest(
    using: str,
    obj: catalog.DisObject,
    tenant: int,
    writes: list[tuple[bytes, int, bytes]],
    name: str = "",
    values: Sequence[str] = (),
) -> int:
    """A new digest (and, with `name`, `values` of that text field) for copies that still hold
    the digest they were read with: `writes` are (new digest, record ID, old digest). A copy
    replaced meanwhile is left as it is. How many changed."""
    if not writes:
        return 0
    table = obj.state_table
    named = bool(name)
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: psycopg's executemany is a statement per row.
            columns = [list(column) for column in zip(*writes, strict=True)]
            page = "%s::bytea[], %s::bigint[], %s::bytea[]" + (", %s::text[]" if named else "")
            setting = "digest = page.digest" + (f", {name} = page.value" if named else "")
            cursor.execute(
                f"UPDATE {table} SET {setting} FROM unnest({page}) "
                f"AS page(digest, id, old{', value' if named else ''}) "
                f"WHERE {table}.{TENANT} = %s AND {table}.record_id = page.id "
                f"AND {table}.digest = page.old",
                [*columns, *([list(values)] if named else []), tenant],
            )
            return max(cursor.rowcount, 0)
        setting = "digest = %s" + (f", {name} = %s" if named else "")
        extra: list[list[Any]] = [[v] for v in values] if named else [[] for _ in writes]
        rows: list[list[Any]] = [
            [d, *more, tenant, i, old] for (d, i, old), more in zip(writes, extra, strict=True)
        ]
        cursor.executemany(
            f"UPDATE {table} SET {setting} WHERE {TENANT} = %s AND record_id = %s AND digest = %s",
            rows,
        )
        return max(cursor.rowcount, 0)


def digest_page(
    using: str, obj: catalog.DisObject, tenant: int, school_year: int | None, after: int, limit: int
) -> wire.DigestPage:
    """Up to `limit` accepted records of `obj` after ID `after`, as (ID, hex digest)."""
    sql = f"SELECT record_id, digest FROM {obj.state_table} WHERE {TENANT} = %s AND record_id > %s"
    params: list[Any] = [tenant, after]
    if obj.year_scoped and school_year is not None:
        sql += f" AND {catalog.YEAR_FIELD} = %s"
        params.append(school_year)
    sql += " ORDER BY record_id LIMIT %s"
    params.append(limit)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        items = [(row[0], bytes(row[1]).hex()) for row in cursor.fetchall()]
    next_after = items[-1][0] if len(items) == limit else None
    return wire.DigestPage(items=items, next_after=next_after)


def counts(using: str, obj: catalog.DisObject, tenants: Iterable[int]) -> list[tuple]:
    """(tenant, copies held, the last accepted at) of each of `tenants` that holds any; a
    copy rejected after acceptance (E-OVERLAP, by the identity resolver) is not held."""
    ids = list(tenants)
    marks = ", ".join(["%s"] * len(ids))
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT {TENANT}, COUNT(*), MAX(accepted_at) FROM {obj.state_table} c "
            f"WHERE {TENANT} IN ({marks}) AND NOT {_REJECTED.format(copy='c')} GROUP BY {TENANT}",
            [*ids, obj.name],
        )
        return cursor.fetchall()


def primary_enrollments_of(
    using: str, state_ids: list[str], service_type: str, outside: int, as_of: Any = None
) -> list[tuple]:
    """Rows (state ID, tenant, enrollment ID, start, end): the enrollments of `service_type`
    of the people with those `state_ids`, in every district but `outside` (with `as_of`, only
    those accepted by then: the identity resolver judges in arrival order, and one accepted
    later waits its turn behind)."""
    person, enrollment = catalog.get(catalog.PERSON), catalog.get(catalog.ENROLLMENT)
    sql = (
        f"SELECT p.state_id, e.{TENANT}, e.record_id, e.start_date, e.end_date "
        f"FROM {person.state_table} p JOIN {enrollment.state_table} e "
        f"ON e.{TENANT} = p.{TENANT} AND e.person_id = p.record_id "
        f"WHERE p.{TENANT} <> %s AND e.service_type = %s AND NOT {_REJECTED.format(copy='e')} "
        "AND "
    )
    rows: list[tuple] = []
    connection = connections[using]
    by: list[Any] = []
    if as_of is not None:
        sql += "e.accepted_at <= %s AND "
        by.append(connection.ops.adapt_datetimefield_value(as_of))
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "p.state_id", state_ids):
            cursor.execute(sql + condition, [outside, service_type, enrollment.name, *by, *params])
            rows.extend(cursor.fetchall())
    return rows


# A copy the identity resolver rejected after acceptance: it stays, with its rejection.
_REJECTED = (
    "EXISTS (SELECT 1 FROM state_rejection r WHERE r.district_id = {copy}." + TENANT + " "
    "AND r.object = %s AND r.record_id = {copy}.record_id)"
)


def db_value(spec: catalog.Field, value: Any) -> Any:
    """A wire value as the copy tables store it (lists as JSON text, dates as ISO text)."""
    if value is None:
        return None
    if spec.is_list:
        return wire.json_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@functools.cache
def copy_values(name: str) -> Callable[[Any], list[Any]]:
    """A record of `name` as its copy table's row starts: its ID, parent keys and fields, each
    as db_value stores it. Made once per object: the values read in one call, and only lists
    and dates, which db_value changes, go through it (every field did: 1.7 µs a person)."""
    obj = catalog.get(name)
    read = attrgetter("id", *obj.parent_keys, *(f.name for f in obj.fields))
    first = 1 + len(obj.parent_keys)
    changed = [(first + i, f) for i, f in enumerate(obj.fields) if f.is_list or f.kind == "date"]

    def values(record: Any) -> list[Any]:
        row = list(read(record))
        for i, spec in changed:
            row[i] = db_value(spec, row[i])
        return row

    return values


def as_date(value: Any) -> dt.date | None:
    """A date as a copy table stores it (ISO text on SQLite), as a date."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def wire_value(spec: catalog.Field, stored: Any) -> Any:
    """A stored value as the wire carries it: db_value undone, typed as the field is."""
    if stored is None:
        return None
    if spec.is_list and isinstance(stored, str):
        stored = msgspec.json.decode(stored)
    return msgspec.convert(stored, wire.field_type(spec), strict=False)


def held_records(
    using: str, obj: catalog.DisObject, tenant: int, ids: list[int]
) -> wire.RecordPage:
    """`tenant`'s accepted copies of `ids` (at most wire.MAX_RECORDS), column by column."""
    wanted = obj.columns[1:]  # the ID is the key
    lists = {f.name for f in obj.fields if f.is_list}
    rows = select(using, obj, tenant, "record_id", sorted(set(ids[: wire.MAX_RECORDS])), wanted)
    items = []
    for record_id, *values in sorted(rows):
        item: dict[str, Any] = {"id": record_id}
        for column, value in zip(wanted, values, strict=True):
            if column in lists and isinstance(value, str):
                value = msgspec.json.decode(value)  # stored as JSON text
            item[column] = wire.plain(value)
        items.append(item)
    return wire.RecordPage(items=items)
