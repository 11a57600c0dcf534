"""Recording messages (docs/MESSAGES.md): every send to the state, every page the state sent
down, every request it made, with its times, tries and result; and pruning them.

A resync's batches are recorded by its journal, in the transaction that saves the batch; the
other doors send through `send()`, which records the message whether or not the state answered.
A message keeps its records' IDs packed and a row per range of IDs it touched
(models/messages.py): a first resync's hundreds of thousands of records cost a few hundred
rows, not a row each.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from statesync.core import handoff, wire
from statesync.core.db import bulk
from statesync.core.messagelog import buckets, pack, squeeze
from statesync.core.sync.client import StateClient, StateError, Trace
from statesync.core.sync.source import Outgoing
from statesync.district.models.messages import (
    Message,
    MessageBucket,
    MessageTally,
    Origin,
    Result,
    SentBody,
)

log = logging.getLogger(__name__)

BUCKET_COLUMNS = ("message_id", "object", "bucket")


def moment(seconds: float | None) -> dt.datetime | None:
    """A time.time() value as the aware datetime the models keep."""
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@dataclass
class Sending:
    """One message about to go: where it comes from and what it carries."""

    origin: str
    origin_ref: int | None
    name: str
    upserts: Sequence[int]
    deletes: Sequence[int] = ()
    added: Collection[int] = ()  # upserts the state did not hold: adds, not changes
    queued_at: float | None = None
    reuse: Message | None = None  # a message waiting to retry, now sent
    trace: Trace = field(default_factory=Trace)


def record(
    sending: Sending,
    answer: wire.BatchResult | None,
    error: str = "",
    unsent: str = Result.NOT_SENT,
) -> Message:
    """Save one message: accepted or rejected by `answer`, or (without one) `unsent`."""
    trace = sending.trace
    problems = {
        str(r.id): ",".join(sorted({e.code for e in r.errors}))
        for r in (answer.rejected if answer else [])
    }
    rejected = Result.REJECTED if problems else Result.ACCEPTED
    queued = sending.queued_at or trace.sent_at or timezone.now().timestamp()
    answered = trace.answered_at if answer is not None else None
    message = sending.reuse or Message(origin=sending.origin, origin_ref=sending.origin_ref)
    message.object = sending.name
    message.queued_at = moment(queued)  # type: ignore[assignment]
    message.sent_at = moment(trace.sent_at)
    message.answered_at = moment(answered)
    message.lag_ms = _lag(queued, answered)
    message.attempts += trace.attempts
    message.result = unsent if answer is None else rejected
    message.records = len(sending.upserts) + len(sending.deletes)
    message.rejected = len(problems)
    message.codes = ",".join(sorted({c for cs in problems.values() for c in cs.split(",")}))[:200]
    message.reason = error
    added = set(sending.added)
    message.upserts = pack(sending.upserts)
    message.added = pack(i for i in sending.upserts if i in added)
    message.deletes = pack(sending.deletes)
    message.problems = problems
    with transaction.atomic(savepoint=False):  # in a run, part of the batch's transaction
        message.save()
        if sending.reuse is None:
            _index(message, [*sending.upserts, *sending.deletes])
        _keep_body(message, trace, replace=sending.reuse is not None)
    return message


def _index(message: Message, ids: Iterable[int]) -> None:
    """The message's buckets, for a search by ID."""
    rows = [(message.pk, message.object, b) for b in sorted(buckets(ids))]
    bulk.insert_rows(connection, MessageBucket._meta.db_table, BUCKET_COLUMNS, rows)


def _keep_body(message: Message, trace: Trace, replace: bool) -> None:
    if not trace.body:
        return
    kept = {"body": squeeze(trace.body), "answer": squeeze(trace.answer)}
    if replace:
        SentBody.objects.update_or_create(message=message, defaults=kept)
    else:
        SentBody.objects.create(message=message, **kept)


def _lag(queued: float, answered: float | None) -> int | None:
    return None if answered is None else max(0, round((answered - queued) * 1000))


def send(
    client: StateClient,
    sending: Sending,
    records: Sequence[Outgoing],
    record_failure: bool = True,
    **options,
) -> wire.BatchResult:
    """Send `records` (and `sending.deletes`) and record the message; a StateError is raised
    on after the message saying why it was not sent is saved (unless the caller records its
    own: a real-time drain's messages wait to retry)."""
    try:
        answer = client.send_batch(
            sending.name, records, sending.deletes, trace=sending.trace, **options
        )
    except StateError as exc:
        if record_failure:
            record(sending, None, str(exc))
        raise
    record(sending, answer)
    return answer


def waiting(sending: Sending, error: str) -> Message:
    """A real-time message the state did not take yet: it stays waiting, its tries counted."""
    return record(sending, None, error, unsent=Result.RETRYING)


def record_down(items: Sequence[handoff.DownChangeItem], outcomes: dict[int, str]) -> None:
    """A page of changes the state sent down, one message per object: each record applied,
    already so, or not in the district (the outcome is its code)."""
    now = timezone.now()
    by_object: dict[str, list[handoff.DownChangeItem]] = {}
    for item in items:
        by_object.setdefault(item.object, []).append(item)
    for name, changes in by_object.items():
        queued = min(dt.datetime.fromisoformat(c.created_at) for c in changes)
        ids = [c.record_id for c in changes]
        problems = {str(c.record_id): MISSING for c in changes if outcomes[c.id] == MISSING}
        message = _from_the_state(
            name,
            Origin.DOWN,
            queued,
            now,
            result=Result.REJECTED if problems else Result.ACCEPTED,
            records=len(changes),
            rejected=len(problems),
            codes=MISSING if problems else "",
            upserts=pack(ids),
            problems=problems,
        )
        _index(message, ids)


MISSING = "record not in the district"


def record_request(request: handoff.ResyncRequestItem, run_id: int) -> None:
    """The state asked for a resync, and run `run_id` carries it out: one message per object."""
    queued = dt.datetime.fromisoformat(request.created_at)
    now = timezone.now()
    for name in request.objects:
        _from_the_state(
            name,
            Origin.REQUEST,
            queued,
            now,
            origin_ref=request.id,
            result=Result.ACCEPTED,
            reason=f"{request.mode} resync requested by {request.requested_by}: run {run_id}",
        )


def _from_the_state(
    name: str, origin: str, queued: dt.datetime, now: dt.datetime, **fields: Any
) -> Message:
    """A message the state made (queued then) that the district took now, in one try."""
    lag_ms = max(0, round((now - queued).total_seconds() * 1000))
    return Message.objects.create(
        object=name,
        origin=origin,
        queued_at=queued,
        sent_at=queued,
        answered_at=now,
        lag_ms=lag_ms,
        attempts=1,
        **fields,
    )


def prune(now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete bodies past SENT_KEEP_DAYS and messages of the days past MESSAGES_KEEP_DAYS
    (whole days, so the day's tally goes with them; never one still waiting to retry); how
    many of each went."""
    now = now or timezone.now()
    body_cutoff = now - dt.timedelta(days=settings.SENT_KEEP_DAYS)
    first_day = (now - dt.timedelta(days=settings.MESSAGES_KEEP_DAYS)).astimezone(dt.UTC).date()
    message_cutoff = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC)
    bodies = removed = 0
    # In pages of IDs, each page its own statements: a quarter's messages never sit in memory.
    for pk_range in _pages(SentBody.objects.filter(message__queued_at__lt=body_cutoff), "pk"):
        bodies += SentBody.objects.filter(pk__in=pk_range).delete()[0]
    old = Message.objects.filter(queued_at__lt=message_cutoff).exclude(result=Result.RETRYING)
    for pk_range in _pages(old, "pk"):
        with transaction.atomic():
            MessageBucket.objects.filter(message_id__in=pk_range).delete()
            SentBody.objects.filter(pk__in=pk_range).delete()
            removed += Message.objects.filter(pk__in=pk_range)._raw_delete(connection.alias)
    tallies = MessageTally.objects.filter(day__lt=first_day).exclude(result=Result.RETRYING)
    tallies.delete()
    return bodies, removed


PRUNE_PAGE = 5000


def _pages(queryset, column: str) -> Iterable[list[int]]:
    """`queryset`'s IDs a page at a time, each page read after the last one was deleted."""
    while page := list(queryset.order_by(column).values_list(column, flat=True)[:PRUNE_PAGE]):
        yield page


__all__ = ["Origin", "Sending", "Trace", "prune", "record", "send", "waiting"]
