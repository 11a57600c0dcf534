"""The sync down: the state's values written into this district's database by its own worker
(the state never writes here, it can only queue; docs/STATE_OWNED.md).

Changes are applied in the state's order, each once (AppliedChange keeps its ID), each with
an audit entry; a queryset update sends no signal, so nothing bounces back up the outbox.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from statesync.access.models import AuditEntry
from statesync.core import handoff, wire
from statesync.core.db import bulk, sqlin
from statesync.core.sync.client import StateClient
from statesync.core.sync.prefetch import prefetched
from statesync.district.models import (
    AppliedChange,
    ErrorLogEntry,
    ErrorSource,
    Notification,
    Run,
    StateOwnedField,
    dis_model,
)
from statesync.district.services import messages
from statesync.district.services.dis import with_the_state
from statesync.district.services.notify import batch_runners

log = logging.getLogger(__name__)
STATE_ACTOR = "the state (sync down)"


def take_state_changes(client: StateClient) -> int:
    """Apply what the state has for this district, in order, until nothing is left."""
    return _take(client)[0]


def _take(client: StateClient) -> tuple[int, int]:
    """take_state_changes; and how many of the district's records the state's identity
    resolver had yet to settle when the last (empty) page was read.

    The next page is fetched while this one is applied: after a first resync the state has
    one change per person, and the state's listing and the district's writes then overlap.
    """
    applied = awaiting = 0
    for feed in prefetched(_pages(client), depth=1):
        StateOwnedField.replace_all(feed.state_owned)
        awaiting = feed.awaiting_identity
        if feed.items:
            applied += apply_changes(feed.items)
            client.changes_applied([item.id for item in feed.items])
    return applied, awaiting


def settle_identity(client: StateClient, run: Run, wait: float | None = None) -> int:
    """After `run`, apply the state's changes until its identity resolver has settled every
    record of this district (the run's state IDs are then here), for up to `wait` seconds
    (settings.IDENTITY_WAIT); 1 if it did, else 0. What is still unsettled comes with a later pull
    (the worker's housekeeping, every minute)."""
    deadline = time.monotonic() + (settings.IDENTITY_WAIT if wait is None else wait)
    while True:
        _, awaiting = _take(client)
        if not awaiting:
            run.identity_settled()
            return 1
        if time.monotonic() >= deadline:
            log.warning("run %s: %s records still await the state's identity", run.pk, awaiting)
            return 0
        time.sleep(IDENTITY_POLL)


IDENTITY_POLL = 0.2  # seconds between looks while the state's resolver is at work


def _pages(client: StateClient) -> Iterator[handoff.DownChanges]:
    """The state's pages of changes, each after the last, to the first empty one (which
    brings the fields the state owns even when no change waits)."""
    after = 0
    while True:
        feed = client.down_changes(after)
        yield feed
        if not feed.items:
            return
        after = feed.items[-1].id


def apply_changes(items: list[handoff.DownChangeItem]) -> int:
    """Apply a page of changes in one transaction, skipping those applied before; how many
    were new. Each gets its AppliedChange row and its audit entry.

    A first resync brings one change per person: reads, writes and rows are per page and per
    object and field, not per change.
    """
    with transaction.atomic():
        ids = sqlin.among(connection, [i.id for i in items])
        seen = set(
            AppliedChange.objects.filter(change_id__in=ids).values_list("change_id", flat=True)
        )
        fresh = [item for item in items if item.id not in seen]
        by_field: dict[tuple[str, str], list[handoff.DownChangeItem]] = defaultdict(list)
        for item in fresh:
            by_field[(item.object, item.field)].append(item)
        outcomes: dict[int, tuple[Any, str]] = {}
        for (name, field), changes in by_field.items():
            if field:
                outcomes.update(_write(name, field, changes))
            else:
                for notice in changes:
                    outcomes[notice.id] = (None, _take_notice(notice))
        _record(fresh, outcomes)
    return len(fresh)


def _write(
    name: str, field: str, changes: list[handoff.DownChangeItem]
) -> dict[int, tuple[Any, str]]:
    """Write the state's values of one field; change ID → (the value replaced, outcome)."""
    model = dis_model(name)
    column = model._meta.get_field(field)
    assert isinstance(column, Field)  # a data field of the catalogue, never a relation
    ids = sqlin.among(connection, [c.record_id for c in changes])
    held = dict(model.objects.filter(pk__in=ids).values_list("pk", field))
    outcomes: dict[int, tuple[Any, str]] = {}
    writes = []
    for change in changes:
        if change.record_id not in held:
            outcomes[change.id] = (None, "record not in the district")
            continue
        old = wire.plain(held[change.record_id])
        if old == change.value:
            outcomes[change.id] = (old, "already so")
            continue
        value = column.get_db_prep_save(column.to_python(change.value), connection)
        writes.append((value, change.record_id))
        held[change.record_id] = change.value  # a later change of the page sees this one
        outcomes[change.id] = (old, "applied")
    if writes:
        # No model save, so no signal: nothing goes back up the outbox.
        bulk.update_column(connection, model._meta.db_table, column, writes)
    return outcomes


def _record(fresh: list[handoff.DownChangeItem], outcomes: dict[int, tuple[Any, str]]) -> None:
    """One AppliedChange row per change (what each replaced and why), and one audit entry per
    object and field of the page (a first resync's 120,000 state IDs are a few entries, each
    naming its count, its outcomes and the changes, which Applied Changes lists one by one)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    applied, audits = [], []
    groups: dict[tuple[str, str], list[handoff.DownChangeItem]] = defaultdict(list)
    for item in fresh:
        old, outcome = outcomes[item.id]
        applied.append(
            (
                item.id,
                item.object,
                item.record_id,
                item.field,
                wire.json_text(old),
                wire.json_text(item.value),
                item.reason[:200],
                outcome,
                now,
            )
        )
        # A notice is its own entry (each says what it is about); values go by field.
        groups[(item.object, item.field or f"notice {item.id}")].append(item)
    for (name, field), items in groups.items():
        counted = Counter(outcomes[i.id][1] for i in items)
        if len(items) == 1:
            (item,) = items
            old, outcome = outcomes[item.id]
            target = f"{item.object} {item.record_id}"
            detail = {"field": item.field, "was": old, "now": item.value, "why": item.reason}
            detail |= {"outcome": outcome, "change": item.id}
        else:
            target = f"{name} {field}: {len(items)} records"
            detail = {"field": field, "records": len(items), "outcomes": dict(counted)}
            detail |= {"changes": [items[0].id, items[-1].id], "why": items[0].reason}
        action = "state change" if items[0].field else "state notice"
        audits.append((now, STATE_ACTOR, action, target, wire.json_text(detail), "state"))
    bulk.insert_rows(connection, AppliedChange._meta.db_table, APPLIED_COLUMNS, applied)
    bulk.insert_rows(connection, AuditEntry._meta.db_table, AUDIT_COLUMNS, audits)
    messages.record_down(fresh, {i: outcome for i, (_, outcome) in outcomes.items()})


APPLIED_COLUMNS = (
    *("change_id", "object", "record_id", "field", "old_value", "value", "reason", "outcome"),
    "applied_at",
)
AUDIT_COLUMNS = ("at", "username", "action", "target", "detail", "via")


def _take_notice(item: handoff.DownChangeItem) -> str:
    """A notice goes to everyone who runs resyncs (they are the ones to act on it); one that
    rejects a record after the state accepted it (E-OVERLAP, found by its identity resolver)
    also goes in the Error Log and the errors of the run that sent it. Its outcome."""
    Notification.objects.bulk_create(
        Notification(user=user, title="From the state", body=item.reason)
        for user in batch_runners()
    )
    rejected = item.value if isinstance(item.value, dict) else {}
    if "rejected" not in rejected:
        return "notice"
    run_id = rejected.get("run")
    run = Run.objects.filter(pk=run_id).first() if isinstance(run_id, int) else None
    ErrorLogEntry.supersede(item.object, [item.record_id])
    ErrorLogEntry.objects.create(
        run=run,
        source=ErrorSource.IDENTITY,
        object=item.object,
        record_id=item.record_id,
        code=str(rejected["rejected"])[:20],
        field=str(rejected.get("field", ""))[:60],
        message=str(rejected.get("message", item.reason)),
    )
    if run is not None:
        run.run_objects.filter(object=item.object).update(errors=F("errors") + 1)
    return "rejected"


def take_state_changes_now(client: StateClient | None = None) -> int:
    """take_state_changes through `client` or the DIS connection, never failing its caller."""
    return with_the_state(take_state_changes, "fetch the state's changes", client)
