"""Applying a district's batch to the state's copy: decode → judge → store, in one transaction.

The API has decoded the batch; here what the state holds of its records is read (`gather`),
the rules judge it (`state/rules/`: the only place a record is judged), the state's own
values are taken (`state/people/`), and `store` writes what was accepted, the rejections and
the deletes. Applying the same batch twice changes nothing.

Nothing goes backwards: a record whose version is older than the copy held, or than its
deletion (a tombstone), is left out as stale, and a delete spares a copy newer than the
district's clock when the record was seen gone — whichever sender's request arrives last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from statesync.core import catalog, versions, wire
from statesync.core.db.routers import state_db
from statesync.state import rules
from statesync.state.ingest import locks, received, removal, store
from statesync.state.models import District, FieldSetting, StateYear
from statesync.state.people import resolver, stateowned


def apply_batch(
    tenant: District,
    obj: catalog.DisObject,
    envelope: wire.Batch,
    records: list[wire.Record],
    failures: Sequence[wire.DecodeFailure] = (),
    origin: str | None = None,
) -> wire.BatchResult:
    """Judge `records`, store the accepted ones, apply the batch's deletes, and keep the
    message in the state's Message History (from `origin`: by default, a run's or a real-time
    batch); return the counts."""
    using = state_db()
    result = wire.BatchResult(object=obj.name)
    ctx = rules.Context(tenant.id, tenant.number, using, batch_object=obj.name)
    now = timezone.now()
    # Inside the Ed-Fi door's group transaction, a savepoint would only cost two round trips:
    # whatever fails there fails the whole group.
    with transaction.atomic(using=using, savepoint=False):
        _begin(ctx, obj)
        owned = FieldSetting.owned_fields(using, obj)
        batch, stamps = gather(ctx, obj, envelope, records, failures, owned)
        result.stale = len(stamps) - len(batch.records)
        verdicts = rules.judge(ctx, obj, batch.records, batch)
        accepted = [r for r in batch.records if not verdicts.rejected(r.id)]
        base = len(_held_columns(obj))
        kept = {i: row[base:] for i, row in batch.held.items()} if owned else {}
        accepted, people = stateowned.take_state_values(ctx, obj, accepted, owned, kept)
        digests = store.write(ctx, batch, accepted, stamps, verdicts, envelope, now, result)
        waiting = people if obj.name == catalog.PERSON else accepted
        result.awaiting_identity = resolver.enqueue(ctx, obj, waiting, digests, envelope.run)
        result.rejected = [
            wire.Rejected(record_id, errors)
            for record_id, errors in sorted(verdicts.errors.items())
        ]
        upserts = [r.id for r in records] + [f.id for f in failures if f.id is not None]
        door = origin or received.origin_of(envelope)
        received.record_batch(
            using, tenant, result, upserts, envelope.deletes, door, envelope.run, now
        )
    _stamp_district(using, tenant, envelope, now)
    return result


def _stamp_district(using: str, tenant: District, envelope: wire.Batch, now: dt.datetime) -> None:
    """When the district last sent, after the batch's transaction and at most once a second:
    an update of its row inside every batch serialised the district's batches on that row."""
    field = "last_resync_at" if envelope.run is not None else "last_realtime_at"
    # This process stamped it within the second: skip even the query (one record a request
    # through the Ed-Fi door would otherwise pay an UPDATE each).
    last = _stamped.get((using, tenant.pk, field))
    if last is not None and now - last < STAMP_EVERY:
        return
    _stamped[(using, tenant.pk, field)] = now
    due = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now - STAMP_EVERY})
    District.objects.using(using).filter(due, pk=tenant.pk).update(**{field: now})


STAMP_EVERY = dt.timedelta(seconds=1)
_stamped: dict[tuple[str, int, str], dt.datetime] = {}


def gather(
    ctx: rules.Context,
    obj: catalog.DisObject,
    envelope: wire.Batch,
    records: list[wire.Record],
    failures: Sequence[wire.DecodeFailure],
    owned: tuple[catalog.Field, ...],
) -> tuple[rules.Batch, dict[int, int | None]]:
    """The batch as the rules judge it (its records but the stale, what the state holds of
    them, their school years, the closed years), and each record's version by ID."""
    # One record per ID: the last sent, with its version (None when the sender gave none).
    sent: list[int | None] = [*envelope.versions] or [None] * len(records)
    latest = {r.id: (r, v) for r, v in zip(records, sent, strict=True)}
    held = ctx.fetch(obj, latest, (*_held_columns(obj), *(f.name for f in owned)))
    buried = store.tombstones(ctx, obj, list(latest))
    removed = store.removals(ctx, obj, list(latest))
    stale = _stale(latest, held, buried)
    if removed and envelope.run is None:  # a run's batch brings a removed record back
        stale |= removal.removed_stale(latest, removed)
    fresh = [r for r, _ in latest.values() if r.id not in stale]
    deletes = list(envelope.deletes)
    batch = rules.Batch(
        obj,
        fresh,
        held=held,
        years=_record_years(ctx, obj, fresh) if obj.year_scoped else {},
        closed=StateYear.closed_years(ctx.using) if obj.year_scoped or deletes else set(),
        deletes=deletes,
        failures=failures,
        buried=buried,
        removed=removed,
    )
    return batch, {i: v for i, (_, v) in latest.items()}


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
    not, so they queue on a lock of that district and object until the transaction ends."""
    locks.hold_district_object(ctx.using, ctx.tenant_id, obj)


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
