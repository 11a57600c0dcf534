"""What a judged batch writes at the state: the accepted copies, the rejections, the
deletes with what hangs under them, and the tombstones that keep a deleted record gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connections

from statesync.core import catalog, versions, wire
from statesync.core.db import planner, sqlin
from statesync.state import rules
from statesync.state.ingest import copies


def write(
    ctx: rules.Context,
    batch: rules.Batch,
    accepted: list[wire.Record],
    stamps: dict[int, int | None],
    verdicts: rules.Verdicts,
    envelope: wire.Batch,
    now: dt.datetime,
    result: wire.BatchResult,
) -> dict[int, bytes]:
    """Store `accepted`, record the rejections and what the rules found, apply the deletes
    the rules allowed; the counts go in `result`. Returns each accepted record's digest."""
    obj = batch.obj
    stamped = {r.id: stamps[r.id] for r in accepted}
    digests = _store(
        ctx, obj, accepted, stamped, batch.held, batch.years, envelope.run, now, result
    )
    # A refused delete leaves its copy as it was: its verdict goes back in the answer only.
    refused = {i: e for i, e in verdicts.errors.items() if i not in batch.refused_deletes}
    record_rejections(ctx, obj, refused, envelope.run, now)
    _forget_rejections(ctx, obj, [r.id for r in accepted])
    # A record accepted newer than its deletion lives again: its tombstone goes, and so does
    # the Record Deleter's note of its removal.
    _forget(ctx, obj, "state_tombstone", [i for i in stamped if i in batch.buried])
    _forget(ctx, obj, "state_removal", [i for i in stamped if i in batch.removed])
    for found in batch.to_record:
        found(ctx)
    deletes = batch.allowed_deletes()
    if deletes:
        result.deleted = _delete(ctx, obj, deletes, envelope.deleted_as_of)
    return digests


def tombstones(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> dict[int, int]:
    """Record ID → the clock it was deleted at, for those of `ids` the district deleted."""
    return _versions(ctx, obj, "state_tombstone", ids)


def removals(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> dict[int, int | None]:
    """Record ID → the version of the copy removed, for those of `ids` the Record Deleter
    removed (ingest/removal.py)."""
    return _versions(ctx, obj, "state_removal", ids)


def _versions(ctx: rules.Context, obj: catalog.DisObject, table: str, ids: list[int]) -> dict:
    found: dict = {}
    sql = f"SELECT record_id, version FROM {table} WHERE district_id = %s AND object = %s AND "
    connection = connections[ctx.using]
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "record_id", ids):
            cursor.execute(sql + condition, [ctx.tenant_id, obj.name, *params])
            found.update(cursor.fetchall())
    return found


def _forget(ctx: rules.Context, obj: catalog.DisObject, table: str, ids: list[int]) -> None:
    if ids:
        copies.delete_where(ctx.using, table, "district_id", ctx.tenant_id, ids, object=obj.name)


def delete_with_children(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> int:
    """Delete `ids` of `obj` and every record under them, as a district's delete does (the
    Record Deleter's removal); how many of `ids` there were."""
    return _delete(ctx, obj, ids)


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
) -> dict[int, bytes]:
    digests: dict[int, bytes] = {}
    if not accepted:
        return digests
    extra_year = obj.year_column
    rows = []
    as_stored = copies.copy_values(obj.name)
    stamp = connections[ctx.using].ops.adapt_datetimefield_value(now)
    for record in accepted:
        digest = digests[record.id] = wire.digest(record)
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
        # No copy held of any of them (a first resync): the batch's lock (apply._begin) keeps
        # another writer of this district's object out until commit, so plain inserts do.
        fresh = len(rows) == result.inserted
        copies.upsert(ctx.using, obj, rows, fresh)
        planner.analyse_once(connections[ctx.using], obj.state_table, len(rows))
    return digests


def record_rejections(
    ctx: rules.Context,
    obj: catalog.DisObject,
    errors: dict[int, list[wire.RecordError]],
    run: int | None,
    now: dt.datetime,
) -> None:
    if not errors:
        return
    stamp = connections[ctx.using].ops.adapt_datetimefield_value(now)
    rows = [
        [ctx.tenant_id, obj.name, record_id, wire.json_text(found), run, stamp]
        for record_id, found in errors.items()
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
    copies.delete_where(
        ctx.using, "state_rejection", "district_id", ctx.tenant_id, list(ids), object=obj.name
    )


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
    return copies.delete(ctx.using, obj, ctx.tenant_id, ids)


def _bury(ctx: rules.Context, obj: catalog.DisObject, ids: list[int], as_of: int) -> None:
    sql = (
        "INSERT INTO state_tombstone (district_id, object, record_id, version) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (district_id, object, record_id) "
        "DO UPDATE SET version = excluded.version WHERE state_tombstone.version < excluded.version"
    )
    with connections[ctx.using].cursor() as cursor:
        cursor.executemany(sql, [[ctx.tenant_id, obj.name, i, as_of] for i in ids])
