"""Real-time sync: send the outbox (changes saved through the application) to the state.

Each drain reads the oldest entries, sends each named record as it is now (or its deletion,
when it is gone), parents first, and removes exactly the entries it read once the state has
answered. A change saved while a drain is under way gets its own entry and goes next time;
a drain that fails leaves every entry in place. So no change is lost, and since a record is
always sent whole and current, a later drain never undoes a newer change.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from statesync.core import catalog
from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError
from statesync.core.sync.pipeline import problems_from, unreadable_problem
from statesync.core.sync.source import Unreadable
from statesync.district.models import (
    Action,
    ErrorLogEntry,
    ErrorSource,
    Message,
    Origin,
    OutboxEntry,
)
from statesync.district.services import messages
from statesync.district.services.dis import state_client

log = logging.getLogger(__name__)
DRAIN_LIMIT = 2000
DRAIN_LOCK = "outbox-drain"  # the RunLock key of the one drain at a time


@dataclass
class DrainResult:
    sent: int = 0
    deleted: int = 0
    rejected: int = 0
    entries: int = 0
    error: str = ""
    by_object: dict[str, int] = field(default_factory=dict)


def drain(client: StateClient | None = None, limit: int = DRAIN_LIMIT) -> DrainResult:
    """Send up to `limit` outbox entries; on failure keep them and say why in the result."""
    entries = list(OutboxEntry.objects.order_by("id")[:limit])
    result = DrainResult(entries=len(entries))
    if not entries:
        return result
    plan = _Plan(entries)
    own_client = client is None
    try:
        client = client or state_client(retries=0)
        errors = _send(client, plan, result)
    except StateError as exc:
        result.error = str(exc)
        with transaction.atomic():
            OutboxEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
                attempts=F("attempts") + 1, last_error=str(exc)[:2000]
            )
            plan.wait(str(exc))
        return result
    finally:
        if own_client and client is not None:
            client.close()
    with transaction.atomic():
        for name, ids in plan.wanted.items():  # each was sent as it is now, or deleted: judged anew
            ErrorLogEntry.supersede(name, ids)
        ErrorLogEntry.objects.bulk_create(errors)
        OutboxEntry.objects.filter(pk__in=[e.pk for e in entries]).delete()
    return result


class _Plan:
    """A drain's entries by object: the records, which were added, since when they waited,
    and the message still waiting to retry for them (a drain that failed left one)."""

    def __init__(self, entries: list[OutboxEntry]):
        self.wanted: dict[str, set[int]] = defaultdict(set)
        self.added: dict[str, set[int]] = defaultdict(set)
        self.queued: dict[str, float] = {}
        self.waiting: dict[str, Message] = {}
        waiting = Message.objects.in_bulk({e.message_id for e in entries if e.message_id})
        for entry in entries:
            self.wanted[entry.object].add(entry.record_id)
            if entry.action == Action.ADD:
                self.added[entry.object].add(entry.record_id)
            at = entry.created_at.timestamp()
            self.queued[entry.object] = min(self.queued.get(entry.object, at), at)
            if entry.message_id in waiting:
                self.waiting.setdefault(entry.object, waiting[entry.message_id])
        self.entries = entries
        self.sent: set[str] = set()  # objects a message was made for (it took the waiting one)
        self.done: set[str] = set()  # objects the state took in this drain

    def sending(
        self, name: str, upserts: list[int], deletes: Sequence[int] = ()
    ) -> messages.Sending:
        reuse = None if name in self.sent else self.waiting.get(name)
        self.sent.add(name)
        return messages.Sending(
            Origin.SAVE,
            None,
            name,
            upserts,
            deletes,
            added=self.added[name],
            queued_at=self.queued[name],
            reuse=reuse,
        )

    def wait(self, error: str) -> None:
        """The state did not take them: one message per object waits to retry, its tries
        counted, and the entries point at it so the next drain carries it on."""
        for name, ids in self.wanted.items():
            if name in self.done:  # accepted: its entries go again next time, as a new message
                continue
            sending = messages.Sending(
                Origin.SAVE,
                None,
                name,
                sorted(ids),
                added=self.added[name],
                queued_at=self.queued[name],
                reuse=self.waiting.get(name),
            )
            sending.trace.attempts = 1
            message = messages.waiting(sending, error)
            OutboxEntry.objects.filter(
                pk__in=[e.pk for e in self.entries if e.object == name]
            ).update(message=message)


def _send(client: StateClient, plan: _Plan, result: DrainResult):
    errors: list[ErrorLogEntry] = []
    gone: dict[str, list[int]] = {}
    as_of = source.clock()  # before reading: a record made after it is found, not "gone"
    for name in catalog.order():  # parents first
        if name not in plan.wanted:
            continue
        ids = sorted(plan.wanted[name])
        current = source.by_ids(name, ids)
        gone[name] = [i for i in ids if i not in current]
        upserts = [r for r in current.values() if not isinstance(r, Unreadable)]
        problems = [
            unreadable_problem(name, r) for r in current.values() if isinstance(r, Unreadable)
        ]
        if upserts:
            sending = plan.sending(name, [r.id for r in upserts])
            answer = messages.send(client, sending, upserts, record_failure=False)
            plan.done.add(name)
            result.sent += len(upserts)
            result.rejected += len(answer.rejected)
            result.by_object[name] = len(upserts)
            problems += problems_from(name, answer.rejected)
        errors += [
            ErrorLogEntry.from_problem(name, p, source=ErrorSource.REALTIME) for p in problems
        ]
    for name in reversed(catalog.order()):  # children first
        if gone.get(name):
            sending = plan.sending(name, [], gone[name])
            answer = messages.send(client, sending, [], record_failure=False, deleted_as_of=as_of)
            result.deleted += answer.deleted
    return errors


def drain_forever(stop=lambda: False, idle: float = 1.0, max_backoff: float = 60.0) -> None:
    """Drain until `stop()`; back off while the state is down, and say so once per outage."""
    backoff = idle
    while not stop():
        result = drain()
        if result.error:
            log.warning("real-time sync waiting for the state: %s", result.error)
            backoff = min(backoff * 2, max_backoff)
            time.sleep(backoff)
            continue
        backoff = idle
        if result.entries < DRAIN_LIMIT:
            time.sleep(idle)
