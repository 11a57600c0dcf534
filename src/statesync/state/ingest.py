"""Applying a district's batch to the state's copy, and listing what the state holds.

A batch is judged and applied in one transaction: accepted records are upserted with their
digest (unchanged ones are not touched), rejected ones are recorded with why, deletes cascade
to the records that hang under them. Applying the same batch twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from statesync import bulk, catalog, sqlin, wire
from statesync.routers import state_db
from statesync.state import rules
from statesync.state.models import District


def apply_batch(
    tenant: District,
    obj: catalog.DisObject,
    envelope: wire.Batch,
    records: list[wire.Record],
    failures: Sequence[wire.DecodeFailure] = (),
) -> wire.BatchResult:
    """Judge `records`, store the accepted ones, apply `deletes`; return the counts."""
    using = state_db()
    records = list({r.id: r for r in records}.values())  # one record per ID: the last sent
    result = wire.BatchResult(object=obj.name)
    ctx = rules.Context(tenant.id, tenant.number, using)
    now = timezone.now()
    with transaction.atomic(using=using):
        verdicts = rules.judge(ctx, obj, records)
        for failure in failures:
            if failure.id is not None:
                verdicts.add(failure.id, wire.RuleCode.FORMAT, failure.field, failure.message)
        accepted = [r for r in records if not verdicts.rejected(r.id)]
        _store(ctx, obj, accepted, envelope.run, now, result)
        _record_rejections(ctx, obj, verdicts, envelope.run, now)
        _forget_rejections(ctx, obj, [r.id for r in accepted])
        if envelope.deletes:
            result.deleted = _delete(ctx, obj, envelope.deletes)
        field = "last_resync_at" if envelope.run is not None else "last_realtime_at"
        District.objects.using(using).filter(pk=tenant.pk).update(**{field: now})
    result.rejected = [
        wire.Rejected(record_id, errors) for record_id, errors in sorted(verdicts.errors.items())
    ]
    return result


def _db_value(spec: catalog.Field, value: Any) -> Any:
    if value is None:
        return None
    if spec.is_list:
        return wire.encode(value).decode()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _store(
    ctx: rules.Context,
    obj: catalog.DisObject,
    accepted: list[wire.Record],
    run: int | None,
    now: dt.datetime,
    result: wire.BatchResult,
) -> None:
    if not accepted:
        return
    existing = _digests(ctx, obj, [r.id for r in accepted])
    years = _school_years(ctx, obj, accepted)
    extra_year = obj.year_column
    columns = ["tenant_id", "record_id", *obj.parent_keys, *(f.name for f in obj.fields)]
    columns += [catalog.YEAR_FIELD] if extra_year else []
    columns += ["digest", "accepted_at", "run"]
    rows = []
    stamp = connections[ctx.using].ops.adapt_datetimefield_value(now)
    for record in accepted:
        digest = wire.digest(record)
        old = existing.get(record.id)
        if old == digest:
            result.unchanged += 1
            continue
        if old is None:
            result.inserted += 1
        else:
            result.updated += 1
        row = [ctx.tenant_id, record.id, *(getattr(record, k) for k in obj.parent_keys)]
        row += [_db_value(f, getattr(record, f.name)) for f in obj.fields]
        row += [years.get(record.id)] if extra_year else []
        row += [digest, stamp, run]
        rows.append(row)
    if rows:
        _upsert(ctx.using, obj.state_table, columns, rows)


def _upsert(using: str, table: str, columns: list[str], rows: list[list]) -> None:
    """Insert or replace rows by (tenant, record ID): COPY + merge on PostgreSQL."""
    connection = connections[using]
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


def _digests(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> dict[int, bytes]:
    return {k: bytes(v[0]) for k, v in ctx.fetch(obj, ids, ("digest",)).items()}


def _school_years(
    ctx: rules.Context, obj: catalog.DisObject, records: list[wire.Record]
) -> dict[int, int]:
    """A year-scoped record's school year: its parent's on the way to its calendar."""
    if not obj.year_column:
        return {}
    parent = catalog.get(catalog.path_to(obj.name, catalog.YEAR_ANCHOR)[1])
    key = parent.key
    parent_years = ctx.fetch(parent, (getattr(r, key) for r in records), (catalog.YEAR_FIELD,))
    return {r.id: parent_years.get(getattr(r, key), (None,))[0] for r in records}


def _record_rejections(
    ctx: rules.Context, obj: catalog.DisObject, verdicts: rules.Verdicts, run, now
) -> None:
    if not verdicts.errors:
        return
    stamp = connections[ctx.using].ops.adapt_datetimefield_value(now)
    rows = [
        [ctx.tenant_id, obj.name, record_id, wire.encode(errors).decode(), run, stamp]
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
    tenant_column = "district_id" if table == "state_rejection" else "tenant_id"
    deleted = 0
    with connections[ctx.using].cursor() as cursor:
        for marks, part in sqlin.pieces(ids):
            params: list[Any] = [ctx.tenant_id]
            condition = ""
            if extra:
                condition = f" AND {extra[0]} = %s"
                params.append(extra[1])
            cursor.execute(
                f"DELETE FROM {table} WHERE {tenant_column} = %s{condition} "
                f"AND {column} IN {marks}",
                [*params, *part],
            )
            deleted += max(cursor.rowcount, 0)
    return deleted


def _delete(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> int:
    """Delete `ids` of `obj` and, first, every record that hangs under them."""
    ids = sorted(set(ids))
    for child in map(catalog.get, catalog.children(obj.name)):
        under = [row[0] for row in ctx.fetch_by(child, obj.key, ids, ())]
        if under:
            _delete(ctx, child, under)
    _forget_rejections(ctx, obj, ids)
    return _delete_where(ctx, obj.state_table, "record_id", ids)


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
