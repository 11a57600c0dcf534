"""Recording what each district sent the state, message by message (docs/MESSAGES.md), and
pruning it: the state's side of the Message History.

A batch is recorded in its own transaction, so the message and what it changed are kept or
lost together: one row and a row per 256-ID range it touched, a few statements a batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from statesync.core import wire
from statesync.core.db import bulk
from statesync.core.messagelog import buckets, pack
from statesync.state.models import District, ReceivedBucket, ReceivedMessage
from statesync.state.models.messages import Origin, Result

log = logging.getLogger(__name__)
BUCKET_COLUMNS = ("message_id", "district_id", "object", "bucket")


def origin_of(envelope: wire.Batch) -> str:
    """A batch that names its run came from a resync run; any other from real-time sync."""
    return Origin.RUN if envelope.run is not None else Origin.REALTIME


def record_batch(
    using: str,
    tenant: District,
    result: wire.BatchResult,
    upserts: Iterable[int],
    deletes: Iterable[int],
    origin: str,
    run: int | None,
    received_at: dt.datetime,
) -> ReceivedMessage:
    """Keep one batch the state answered with `result`: its records' IDs, counts and codes."""
    upserted, deleted = sorted(set(upserts)), sorted(set(deletes))
    problems = {str(r.id): ",".join(sorted({e.code for e in r.errors})) for r in result.rejected}
    codes = sorted({code for text in problems.values() for code in text.split(",")})
    answered_at = timezone.now()
    message = ReceivedMessage(
        district=tenant,
        object=result.object,
        origin=origin,
        origin_ref=run,
        received_at=received_at,
        answered_at=answered_at,
        lag_ms=int((answered_at - received_at).total_seconds() * 1000),
        result=Result.REJECTED if problems else Result.ACCEPTED,
        records=len(upserted) + len(deleted),
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        deleted=result.deleted,
        stale=result.stale,
        rejected=len(problems),
        codes=",".join(codes)[:200],
        upserts=pack(upserted),
        deletes=pack(deleted),
        problems=problems,
    )
    # In the batch's transaction when there is one: no savepoint's two round trips a batch.
    message.fill_buckets()
    with transaction.atomic(using=using, savepoint=False):
        bulk.insert_instance(connections[using], message)
        rows = [
            (message.pk, tenant.pk, result.object, b) for b in sorted(buckets(upserted + deleted))
        ]
        bulk.insert_rows(connections[using], ReceivedBucket._meta.db_table, BUCKET_COLUMNS, rows)
    return message


def record_exchange(
    using: str, tenant: District, origin: str, what: str, count: int, ref: int | None = None
) -> ReceivedMessage:
    """Keep one exchange that carried no records: a resync request taken (its ID in `ref`),
    or changes the district said it applied (`count` of them)."""
    now = timezone.now()
    message = ReceivedMessage(
        district=tenant,
        object=what,
        origin=origin,
        origin_ref=ref,
        received_at=now,
        answered_at=now,
        result=Result.ACCEPTED,
        records=count,
    )
    message.save(using=using)
    return message


def prune(using: str, now: dt.datetime | None = None) -> int:
    """Delete messages older than MESSAGES_KEEP_DAYS, a page of IDs at a time; how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.MESSAGES_KEEP_DAYS)
    old = ReceivedMessage.objects.using(using).filter(received_at__lt=cutoff).order_by("pk")
    removed = 0
    while page := list(old.values_list("pk", flat=True)[:PRUNE_PAGE]):
        with transaction.atomic(using=using):
            ReceivedBucket.objects.using(using).filter(message_id__in=page).delete()
            removed += ReceivedMessage.objects.using(using).filter(pk__in=page).delete()[0]
    if removed:
        log.info("Message History: removed %s messages the districts sent", removed)
    return removed


PRUNE_PAGE = 5000
