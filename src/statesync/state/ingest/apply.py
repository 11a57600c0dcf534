"""Applying a district's batch to the state's copy, and listing what the state holds.

A batch is judged and applied in one transaction: accepted records are upserted with their
digest (unchanged ones are not touched), rejected ones are recorded with why, deletes cascade
to the records that hang under them. Applying the same batch twice changes nothing.

Nothing goes backwards: a record whose version is older than the copy held, or than its
deletion (a tombstone), is left out as stale, and a delete spares a copy newer than the
district's clock when the record was seen gone — whichever sender's request arrives last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from django.db import connections, transaction
from django.utils import timezone

from statesync.core import catalog, versions, wire
from statesync.core.db import bulk, planner, sqlin
from statesync.core.db.routers import state_db
from statesync.state import rules
from statesync.state.ingest import locks
from statesync.state.ingest.store import copy_values
from statesync.state.models import District, FieldSetting, StateYear
from statesync.state.people import stateowned
from statesync.state.rules import closedyears, crossdistrict


def apply_batch(
    tenant: District,
    obj: catalog.DisObject,
    envelope: wire.Batch,
    records: list[wire.Record],
    failures: Sequence[wire.DecodeFailure] = (),
) -> wire.BatchResult:
    """Judge `records`, store the accepted ones, apply `deletes`; return the counts."""
    using = state_db()
    # One record per ID: the last sent, with its version (None when the sender gave none).
    stamps: list[int | None] = [*envelope.versions] or [None] * len(records)
    latest = {r.id: (r, v) for r, v in zip(records, stamps, strict=True)}
    result = wire.BatchResult(object=obj.name)
    ctx = rules.Context(tenant.id, tenant.number, using, batch_object=obj.name)
    now = timezone.now()
    with transaction.atomic(using=using):
        _begin(ctx, obj)
        owned = FieldSetting.owned_fields(using, obj)
        base = _held_columns(obj)
        held = ctx.fetch(obj, latest, (*base, *(f.name for f in owned)))
        buried = _tombstones(ctx, obj, list(latest))
        stale = _stale(latest, held, buried)
        result.stale = len(stale)
        records = [r for r, _ in latest.values() if r.id not in stale]
        verdicts = rules.judge(ctx, obj, records)
        if obj.name == catalog.ENROLLMENT:
            crossdistrict.check(ctx, records, verdicts)
        # Each record's school year: stored beside the copy, and checked against closed years.
        years = _record_years(ctx, obj, records) if obj.year_scoped else {}
        closed = StateYear.closed_years(using) if obj.year_scoped else set()
        if closed:
            closedyears.refuse_changes(obj, records, years, held, closed, verdicts)
        for failure in failures:
            if failure.id is not None:
                verdicts.add(failure.id, wire.RuleCode.FORMAT, failure.field, failure.message)
        accepted = [r for r in records if not verdicts.rejected(r.id)]
        kept = {i: row[len(base) :] for i, row in held.items()} if owned else {}
        accepted = stateowned.take_state_values(ctx, obj, accepted, owned, kept)
        stamped = {r.id: latest[r.id][1] for r in accepted}
        _store(ctx, obj, accepted, stamped, held, years, envelope.run, now, result)
        _record_rejections(ctx, obj, verdicts, envelope.run, now)
        _forget_rejections(ctx, obj, [r.id for r in accepted])
        # A record accepted newer than its deletion lives again: its tombstone goes.
        _forget_tombstones(ctx, obj, [i for i in stamped if i in buried])
        deletes = envelope.deletes
        closed_anywhere = closed or (StateYear.closed_years(using) if deletes else set())
        if deletes and closed_anywhere:
            deletes = closedyears.spare_deletes(ctx, obj, deletes, closed_anywhere, verdicts)
        if deletes:
            result.deleted = _delete(ctx, obj, deletes, envelope.deleted_as_of)
        field = "last_resync_at" if envelope.run is not None else "last_realtime_at"
        District.objects.using(using).filter(pk=tenant.pk).update(**{field: now})
    result.rejected = [
        wire.Rejected(record_id, errors) for record_id, errors in sorted(verdicts.errors.items())
    ]
    return result


def _held_columns(obj: catalog.DisObject) -> tuple[str, ...]:
    """What a batch needs of the copies it may replace: digest, version, and school year."""
    year = (catalog.YEAR_FIELD,) if obj.year_scoped else ()
    return ("digest", versions.FIELD, *year)


def _record_years(
    ctx: rules.Context, obj: catalog.DisObject, records: list[wire.Record]
) -> dict[int, int]:
    """Each record's school year: its own field, or its parent's on the way to its calendar."""
    if not obj.year_column:
        return {r.id: getattr(r, catalog.YEAR_FIELD) for r in records}
    parent = catalog.get(catalog.path_to(obj.name, catalog.YEAR_ANCHOR)[1])
    key = parent.key
    parent_years = ctx.fetch(parent, (getattr(r, key) for r in records), (catalog.YEAR_FIELD,))
    return {r.id: parent_years.get(getattr(r, key), (None,))[0] for r in records}


def _begin(ctx: rules.Context, obj: catalog.DisObject) -> None:
    """One batch of a district's object at a time, so what one judged stale or deleted is
    still so when it writes. SQLite's writers are one at a time already; PostgreSQL's are
    not, so they queue on a lock of that district and object until the transaction ends.

    On PostgreSQL the batch's lookups are also costed as reads of cached pages: they probe
    the keys of rows written moments ago. At the default random_page_cost (4, a spinning
    disk's) 2,000 probes look dearer than scanning the district's whole copy, which took 30 ms
    where the probes take 2 to 12 (120,000 people, measured)."""
    locks.hold_district_object(ctx.using, ctx.tenant_id, obj)
    connection = connections[ctx.using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('random_page_cost', %s, true)", [CACHED_PAGE_COST])


# PostgreSQL's own advice for data held in memory or on SSD (set for the batch's transaction).
CACHED_PAGE_COST = "1.1"


def _stale(
    latest: dict[int, tuple[wire.Record, int | None]],
    held: dict[int, tuple],
    buried: dict[int, int],
) -> set[int]:
    """IDs whose version is older than the copy held, or not newer than their deletion; a
    record sent without a version is stale beside a copy that has one (nothing says it is
    newer, and taking it would erase the version that keeps older copies out)."""
    stale = set()
    for record_id, (_, version) in latest.items():
        copy = held.get(record_id, (None, None))[1]
        if version is None:
            if copy is not None or record_id in buried:
                stale.add(record_id)
            continue
        gone = buried.get(record_id)
        if (copy is not None and version < copy) or (gone is not None and version <= gone):
            stale.add(record_id)
    return stale


def _tombstones(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> dict[int, int]:
    """Record ID → the clock it was deleted at, for those of `ids` the district deleted."""
    found: dict[int, int] = {}
    sql = (
        "SELECT record_id, version FROM state_tombstone WHERE district_id = %s AND object = %s AND "
    )
    connection = connections[ctx.using]
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "record_id", ids):
            cursor.execute(sql + condition, [ctx.tenant_id, obj.name, *params])
            found.update(cursor.fetchall())
    return found


def _forget_tombstones(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> None:
    if ids:
        _delete_where(ctx, "state_tombstone", "record_id", ids, extra=("object", obj.name))


def _store(
    ctx: rules.Context,
    obj: catalog.DisObject,
    accepted: list[wire.Record],
    stamped: dict[int, int | None],
    held: dict[int, tuple],
    years: dict[int, int],
    run: int | None,
    now: dt.datetime,
    result: wire.BatchResult,
) -> None:
    if not accepted:
        return
    extra_year = obj.year_column
    columns = ["tenant_id", "record_id", *obj.parent_keys, *(f.name for f in obj.fields)]
    columns += [catalog.YEAR_FIELD] if extra_year else []
    columns += ["digest", "accepted_at", "run", versions.FIELD]
    rows = []
    as_stored = copy_values(obj.name)
    stamp = connections[ctx.using].ops.adapt_datetimefield_value(now)
    for record in accepted:
        digest = wire.digest(record)
        old, old_version = held.get(record.id, (None, None))[:2]
        old = bytes(old) if old is not None else None
        version = stamped[record.id]
        if old == digest:
            result.unchanged += 1
            if version is None or version == old_version:
                continue  # else only its version moves on
        elif old is None:
            result.inserted += 1
        else:
            result.updated += 1
        row = [ctx.tenant_id, *as_stored(record)]
        row += [years.get(record.id)] if extra_year else []
        row += [digest, stamp, run, version]
        rows.append(row)
    if rows:
        # No copy held of any of them (a first resync): the batch's lock (_begin) keeps
        # another writer of this district's object out until commit, so plain inserts do.
        fresh = len(rows) == result.inserted
        _upsert(ctx.using, obj.state_table, columns, rows, fresh)
        planner.analyse_once(connections[ctx.using], obj.state_table)


def _upsert(using: str, table: str, columns: list[str], rows: list[list], fresh: bool) -> None:
    """Insert or replace rows by (tenant, record ID): COPY + merge on PostgreSQL. With
    `fresh` (none is held), COPY straight into the table: no scratch table, no merge."""
    connection = connections[using]
    if fresh:
        bulk.insert_rows(connection, table, columns, rows)
        return
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    conflict = f"ON CONFLICT (tenant_id, record_id) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}", rows)
            return
        # COPY into a scratch table shaped like the target, then one set-based merge: far
        # fewer round trips than a statement per row.
        scratch = f"incoming_{table}"
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS "
            f"AS SELECT {names} FROM {table} WITH NO DATA"
        )
        bulk.insert_rows(connection, scratch, columns, rows)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} {conflict}")
        cursor.execute(f"TRUNCATE {scratch}")


def _record_rejections(
    ctx: rules.Context, obj: catalog.DisObject, verdicts: rules.Verdicts, run, now
) -> None:
    if not verdicts.errors:
        return
    stamp = connections[ctx.using].ops.adapt_datetimefield_value(now)
    rows = [
        [ctx.tenant_id, obj.name, record_id, wire.json_text(errors), run, stamp]
        for record_id, errors in verdicts.errors.items()
        if record_id is not None
    ]
    sql = (
        "INSERT INTO state_rejection (district_id, object, record_id, errors, run, rejected_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (district_id, object, record_id) "
        "DO UPDATE SET errors = excluded.errors, run = excluded.run, "
        "rejected_at = excluded.rejected_at"
    )
    with connections[ctx.using].cursor() as cursor:
        cursor.executemany(sql, rows)


def _forget_rejections(ctx: rules.Context, obj: catalog.DisObject, ids: Iterable[int]) -> None:
    _delete_where(ctx, "state_rejection", "record_id", list(ids), extra=("object", obj.name))


def _delete_where(
    ctx: rules.Context,
    table: str,
    column: str,
    ids: list[int],
    extra: tuple[str, str] | None = None,
) -> int:
    tenant_column = "tenant_id" if table.startswith("state_copy_") else "district_id"
    deleted = 0
    connection = connections[ctx.using]
    with connection.cursor() as cursor:
        for matches, part in sqlin.matching(connection, column, ids):
            params: list[Any] = [ctx.tenant_id]
            condition = ""
            if extra:
                condition = f" AND {extra[0]} = %s"
                params.append(extra[1])
            cursor.execute(
                f"DELETE FROM {table} WHERE {tenant_column} = %s{condition} AND {matches}",
                [*params, *part],
            )
            deleted += max(cursor.rowcount, 0)
    return deleted


def _delete(
    ctx: rules.Context, obj: catalog.DisObject, ids: list[int], as_of: int | None = None
) -> int:
    """Delete `ids` of `obj` and, first, every record that hangs under them.

    With `as_of` (the district's clock when they were seen gone), a copy newer than that is
    spared, and each deletion leaves a tombstone so an older copy cannot bring it back.
    """
    ids = sorted(set(ids))
    if as_of is not None:
        held = ctx.fetch(obj, ids, (versions.FIELD,))
        ids = [i for i in ids if i not in held or held[i][0] is None or held[i][0] <= as_of]
        _bury(ctx, obj, ids, as_of)
    for child in map(catalog.get, catalog.children(obj.name)):
        under = [row[0] for row in ctx.fetch_by(child, obj.key, ids, ())]
        if under:
            # Gone with their parent, as of the same clock: an older copy cannot come back.
            if as_of is not None:
                _bury(ctx, child, under, as_of)
            _delete(ctx, child, under)
    _forget_rejections(ctx, obj, ids)
    return _delete_where(ctx, obj.state_table, "record_id", ids)


def _bury(ctx: rules.Context, obj: catalog.DisObject, ids: list[int], as_of: int) -> None:
    sql = (
        "INSERT INTO state_tombstone (district_id, object, record_id, version) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (district_id, object, record_id) "
        "DO UPDATE SET version = excluded.version WHERE state_tombstone.version < excluded.version"
    )
    with connections[ctx.using].cursor() as cursor:
        cursor.executemany(sql, [[ctx.tenant_id, obj.name, i, as_of] for i in ids])


def digest_page(
    tenant: District, obj: catalog.DisObject, school_year: int | None, after: int, limit: int
) -> wire.DigestPage:
    """Up to `limit` accepted records of `obj` after ID `after`, as (ID, hex digest)."""
    sql = f"SELECT record_id, digest FROM {obj.state_table} WHERE tenant_id = %s AND record_id > %s"
    params: list[Any] = [tenant.id, after]
    if obj.year_scoped and school_year is not None:
        sql += f" AND {catalog.YEAR_FIELD} = %s"
        params.append(school_year)
    sql += " ORDER BY record_id LIMIT %s"
    params.append(limit)
    with connections[state_db()].cursor() as cursor:
        cursor.execute(sql, params)
        items = [(row[0], bytes(row[1]).hex()) for row in cursor.fetchall()]
    next_after = items[-1][0] if len(items) == limit else None
    return wire.DigestPage(items=items, next_after=next_after)


def held_records(tenant: District, obj: catalog.DisObject, ids: list[int]) -> wire.RecordPage:
    """The state's accepted copies of `ids` (at most wire.MAX_RECORDS), column by column."""
    ctx = rules.Context(tenant.id, tenant.number, state_db())
    columns = obj.columns[1:]  # the ID is the key
    lists = {f.name for f in obj.fields if f.is_list}
    found = ctx.fetch(obj, ids[: wire.MAX_RECORDS], columns)
    items = []
    for record_id in sorted(found):
        item: dict[str, Any] = {"id": record_id}
        for column, value in zip(columns, found[record_id], strict=True):
            if column in lists and isinstance(value, str):
                value = msgspec.json.decode(value)  # stored as JSON text
            item[column] = wire.plain(value)
        items.append(item)
    return wire.RecordPage(items=items)
