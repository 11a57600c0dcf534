"""The identity resolver: state IDs and cross-district checks settled beside intake, not on a
batch's path (docs/STATE_OWNED.md, "Identity beside intake").

A batch is judged on what the district's own data and the state's settled facts say, and
stored; its people not yet linked to a state ID, and its primary enrollments, are queued
(`enqueue`) in the batch's transaction. The resolver takes the queue in arrival order, one
batch's records per transaction (`resolve_next`), in a process of its own (`statesync
resolver`, which `statesync serve` starts at the state), so it works on the other core while
the next batch is judged: it issues or matches state IDs (likely matches held for Person
Matching), checks enrollments against other districts', and queues what it decides down.

A record the district replaced after it was queued is left alone: its copy no longer holds
the digest queued with it, and the newer batch queued it again, behind.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import msgspec
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from statesync.access.models import AuditEntry
from statesync.core import catalog, wire
from statesync.state import rules
from statesync.state.ingest import copies, locks, store
from statesync.state.models import District, IdentityWork
from statesync.state.models.people import next_number
from statesync.state.people import matching, stateowned
from statesync.state.rules import Context
from statesync.state.rules.context import PRIMARY

log = logging.getLogger(__name__)

PERSON, ENROLLMENT = catalog.PERSON, catalog.ENROLLMENT
STATE_ID = catalog.STATE_ID_FIELD
ACTOR = "the state (identity resolver)"


def enqueue(
    ctx: Context,
    obj: catalog.DisObject,
    records: list,
    digests: dict[int, bytes],
    run: int | None,
) -> int:
    """Queue the records of a judged batch whose identity the resolver settles (people not
    linked, primary enrollments with a start date when the state has another district);
    how many. In the batch's transaction, so nothing accepted is forgotten."""
    if obj.name == ENROLLMENT:
        if not _has_other_districts(ctx):
            return 0  # no one to overlap
        records = [r for r in records if r.service_type == PRIMARY and r.start_date]
    elif obj.name != PERSON:
        return 0
    records = [r for r in records if r.id in digests]
    if not records:
        return 0
    row = wire.row_type(obj.name)
    rows = [r if isinstance(r, row) else row(*msgspec.structs.astuple(r)) for r in records]
    payload = msgspec.msgpack.encode((rows, [digests[r.id] for r in records]))
    IdentityWork.objects.using(ctx.using).create(
        district_id=ctx.tenant_id, object=obj.name, run=run, payload=payload, records=len(records)
    )
    return len(records)


def _has_other_districts(ctx: Context) -> bool:
    return District.objects.using(ctx.using).exclude(pk=ctx.tenant_id).exists()


@dataclass
class Resolved:
    """What the resolver settled of one queued batch."""

    work: int
    district: str
    object: str
    run: int | None
    records: int
    superseded: int = 0  # replaced by a newer batch meanwhile: queued again behind
    outcomes: dict[str, int] = field(default_factory=dict)


def resolve_next(using: str, known: matching.Known | None = None) -> Resolved | None:
    """Settle the oldest queued batch and delete it from the queue; None when none waits.

    Its people are matched first with reads alone, outside the write transaction (on SQLite
    the resolver would otherwise hold the one write lock every batch waits for while it
    matches); inside it the plan is checked (the same records, nobody issued since) or made
    again, and written. Resolvers take turns (locks.hold_resolving), so two at once settle
    batches one after another, in the order they arrived. A batch whose settling fails is
    tried again, and set aside with why after IdentityWork.MAX_ATTEMPTS (logged, and listed
    in Django admin). `known`: the state's people read for earlier batches, kept by a
    resolver that runs on (a fresh one each call without it)."""
    known = known or matching.Known()
    head = IdentityWork.queue(using).first()
    if head is None:
        return None
    try:
        ahead = _prepare(using, head, known)
        with transaction.atomic(using=using):
            locks.hold_resolving(using)
            # Before the plan is checked: nobody issues a state ID from here to commit.
            locks.hold_issuing(using)
            if not IdentityWork.objects.using(using).filter(pk=head.pk).delete()[0]:
                return Resolved(head.pk, "", head.object, head.run, 0)  # another resolver's
            return _settle(using, head, ahead)
    except Exception as exc:
        if IdentityWork.note_failure(using, head.pk, f"{type(exc).__name__}: {exc}"):
            log.error("identity work %s set aside after repeated failures: %s", head.pk, exc)
        raise


@dataclass
class _Prepared:
    """A queued batch decoded, its people matched and what settling them writes made, before
    the write transaction: SQLite's one write lock, which every batch waits for, is then held
    for the writes alone (the run was bounded by the time each held it, docs/PERFORMANCE.md)."""

    ctx: Context
    obj: catalog.DisObject
    records: list
    digests: list[bytes]
    plan: stateowned.StateIdPlan | None = None
    gift: stateowned.Gift | None = None
    writes: _PeopleWrites | None = None
    known: matching.Known | None = None


def _prepare(using: str, head: IdentityWork, known: matching.Known) -> _Prepared:
    district = District.objects.using(using).get(pk=head.district_id)
    ctx = Context(district.id, district.number, using, as_of=head.queued_at)
    obj = catalog.get(head.object)
    records, digests = msgspec.msgpack.decode(bytes(head.payload), type=_payload(obj.name))
    ahead = _Prepared(ctx, obj, records, digests)
    if obj.name == PERSON:
        live = _still_held(ctx, obj, records, digests)
        ahead.plan = stateowned.plan_state_ids(ctx, [record for record, _ in live], known)
        ahead.gift = ahead.plan.gift(next_number(using))
        ahead.writes = _people_writes(obj, live, ahead.gift.given)
    ahead.known = known
    return ahead


def _settle(using: str, head: IdentityWork, ahead: _Prepared) -> Resolved:
    ctx, obj = ahead.ctx, ahead.obj
    # Read again under the lock: a batch may have replaced a copy since _prepare read them
    # (the plan is then made again, _settle_people).
    live = _still_held(ctx, obj, ahead.records, ahead.digests)
    done = Resolved(head.pk, ctx.tenant_number, obj.name, head.run, len(ahead.records))
    done.superseded = len(ahead.records) - len(live)
    if ahead.plan is not None:
        done.outcomes = _settle_people(ctx, obj, live, ahead)
    else:
        done.outcomes = _settle_enrollments(ctx, obj, live, head.run)
    _audit(done)
    return done


@functools.cache
def _payload(name: str) -> Any:
    """What `enqueue` wrote: the records as rows (their canonical form) and their digests."""
    row: Any = wire.row_type(name)
    return tuple[list[row], list[bytes]]


def resolve_all(using: str) -> list[Resolved]:
    """Settle everything queued now (tests, the command's --once); what was settled."""
    settled, known = [], matching.Known()
    while (done := resolve_next(using, known)) is not None:
        settled.append(done)
    return settled


def run(using: str, stop: threading.Event, poll: float = 0.2) -> None:
    """Settle the queue as it fills until `stop` is set; a queue found empty is looked at
    again after `poll` seconds (a first resync fills it a batch every few milliseconds)."""
    try:
        _run(using, stop, poll)
    finally:
        connections.close_all()  # this thread's own


def _run(using: str, stop: threading.Event, poll: float) -> None:
    known = matching.Known()  # kept from batch to batch while nobody else issues
    while not stop.is_set():
        try:
            done = resolve_next(using, known)
        except Exception:  # one bad batch must not stop identity for every district
            log.exception("the identity resolver failed; trying again")
            close_old_connections()
            stop.wait(poll * 5)
            continue
        if done is None:
            close_old_connections()
            stop.wait(poll)
        elif done.records:
            log.info(
                "identity of %s %s of district %s settled: %s",
                done.records,
                done.object,
                done.district,
                done.outcomes,
            )


def _still_held(
    ctx: Context, obj: catalog.DisObject, records: list, digests: list[bytes]
) -> list[tuple[Any, bytes]]:
    """Those of `records` whose copy is still the one queued (same digest), with it."""
    held = ctx.fetch(obj, (r.id for r in records), ("digest",))
    return [
        (record, digest)
        for record, digest in zip(records, digests, strict=True)
        if record.id in held and bytes(held[record.id][0]) == digest
    ]


def _settle_people(
    ctx: Context, obj: catalog.DisObject, live: list[tuple[Any, bytes]], ahead: _Prepared
) -> dict[str, int]:
    """Give each person the state ID matching found (or hold them), write it into their copy
    with the digest of the record as the district will hold it, and queue it down. What
    `ahead` made before the transaction is written as it is unless a record changed or a
    state ID was issued or reserved since: then it is made again here."""
    people = [record for record, _ in live]
    plan, gift = ahead.plan, ahead.gift
    assert plan is not None
    if not plan.still_holds(ctx, people):
        plan, gift = stateowned.plan_state_ids(ctx, people, ahead.known), None
    written = plan.give(ctx, ahead.known, gift)
    writes = ahead.writes  # what was made before stands only if its gift was written
    if writes is None or written is not ahead.gift:
        writes = _people_writes(obj, live, written.given)
    copies.set_where_digest(ctx.using, obj, ctx.tenant_id, writes.updates, STATE_ID, writes.values)
    stateowned.queue_down(ctx, writes.changes)
    return dict(writes.outcomes)


@dataclass
class _PeopleWrites:
    """What settling a batch's people writes: each copy's state ID and new digest, where it
    still holds the digest queued (`updates`: new digest, record ID, old digest, and
    `values`), the down changes, and the count of each outcome."""

    updates: list[tuple[bytes, int, bytes]] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    changes: list[tuple] = field(default_factory=list)
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"issued": 0, "matched": 0, "sent": 0, "held": 0}
    )


def _people_writes(
    obj: catalog.DisObject, live: list[tuple[Any, bytes]], given: dict[int, tuple[str, str, str]]
) -> _PeopleWrites:
    writes = _PeopleWrites()
    for record, digest in live:
        if record.id not in given:
            writes.outcomes["held"] += 1
            continue
        state_id, why, outcome = given[record.id]
        writes.outcomes[outcome] += 1
        stored = msgspec.structs.replace(record, state_id=state_id)
        writes.updates.append((wire.digest(stored), record.id, digest))
        writes.values.append(state_id)
        if record.state_id != state_id:
            writes.changes.append((obj.name, record.id, STATE_ID, wire.json_text(state_id), why))
    return writes


def _settle_enrollments(
    ctx: Context, obj: catalog.DisObject, live: list[tuple[Any, bytes]], run: int | None
) -> dict[str, int]:
    """Check each primary enrollment against the same student's in other districts; one that
    overlaps is rejected from now on (E-OVERLAP): in the error log and the counts, its copy's
    digest voided so the next resync sends and judges it again, both districts told."""
    verdicts, batch = rules.judge_identity(ctx, obj, [record for record, _ in live])
    now = timezone.now()
    rejected = dict(verdicts.errors)
    store.record_rejections(ctx, obj, rejected, run, now)
    voided = [(b"", record.id, digest) for record, digest in live if record.id in rejected]
    copies.set_where_digest(ctx.using, obj, ctx.tenant_id, voided)
    for found in batch.to_record:
        found(ctx)
    notices = [
        (obj.name, record_id, "", wire.json_text(_rejection(errors, run)), errors[0].message)
        for record_id, errors in rejected.items()
    ]
    stateowned.queue_down(ctx, notices)
    return {"checked": len(live), "rejected": len(rejected)}


def _rejection(errors: list[wire.RecordError], run: int | None) -> dict[str, Any]:
    """A rejection found after acceptance, as the district's error log takes it."""
    first = errors[0]
    return {"rejected": first.code, "field": first.field, "message": first.message, "run": run}


def _audit(done: Resolved) -> None:
    """One audit entry per queued batch settled, naming its counts and run (not one per
    student: a first resync settles 120,000)."""
    if not done.records:
        return
    AuditEntry.objects.create(
        username=ACTOR,
        action="state.identity",
        target=f"district {done.district} {done.object}: {done.records} records"[:200],
        detail={"run": done.run, "work": done.work, "superseded": done.superseded} | done.outcomes,
        via="state",
    )
