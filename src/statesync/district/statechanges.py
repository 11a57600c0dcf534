"""The sync down: the state's values written into this district's database by its own worker
(the state never writes here, it can only queue; docs/STATE_OWNED.md).

Changes are applied in the state's order, each once (AppliedChange keeps its ID), each with
an audit entry; a queryset update sends no signal, so nothing bounces back up the outbox.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from statesync import catalog, wire
from statesync.access.models import AuditEntry
from statesync.access.rights import has_right
from statesync.district.dis import state_client
from statesync.district.models import AppliedChange, Notification, StateOwnedField, dis_model
from statesync.sync.client import NotConfigured, StateClient, StateError

log = logging.getLogger(__name__)
STATE_ACTOR = "the state (sync down)"


def take_state_changes(client: StateClient) -> int:
    """Apply what the state has for this district, in order, until nothing is left."""
    applied = 0
    while True:
        feed = client.down_changes()
        StateOwnedField.replace_all(feed.state_owned)
        if not feed.items:
            return applied
        applied += apply_changes(feed.items)
        client.changes_applied(feed.items[-1].id)


def apply_changes(items: list[wire.DownChangeItem]) -> int:
    """Apply a page of changes in one transaction, skipping those applied before; how many
    were new. Each gets its AppliedChange row and its audit entry."""
    with transaction.atomic():
        seen = set(
            AppliedChange.objects.filter(change_id__in=[i.id for i in items]).values_list(
                "change_id", flat=True
            )
        )
        fresh = [item for item in items if item.id not in seen]
        applied, audits = [], []
        for item in fresh:
            old, outcome = _write(item) if item.field else (None, "notice")
            applied.append(
                AppliedChange(
                    change_id=item.id,
                    object=item.object,
                    record_id=item.record_id,
                    field=item.field,
                    old_value=old,
                    value=item.value,
                    reason=item.reason[:200],
                    outcome=outcome,
                )
            )
            audits.append(
                AuditEntry(
                    username=STATE_ACTOR,
                    action="state change" if item.field else "state notice",
                    target=f"{item.object} {item.record_id}"[:200],
                    detail={
                        "field": item.field,
                        "was": old,
                        "now": item.value,
                        "why": item.reason,
                        "outcome": outcome,
                    },
                    via="state",
                )
            )
            if not item.field:
                _notify(item)
        AppliedChange.objects.bulk_create(applied)
        AuditEntry.objects.bulk_create(audits)
    return len(fresh)


def _write(item: wire.DownChangeItem) -> tuple[Any, str]:
    """Write the state's value; (the value it replaced, what happened)."""
    model = dis_model(item.object)
    catalog.get(item.object)  # an object this edition does not know raises UnknownObject
    rows = model.objects.filter(pk=item.record_id)
    found = rows.values_list(item.field, flat=True).first()
    if found is None and not rows.exists():
        return None, "record not in the district"
    old = wire.plain(found)
    if old == item.value:
        return old, "already so"
    rows.update(**{item.field: item.value})
    return old, "applied"


def _notify(item: wire.DownChangeItem) -> None:
    """A notice goes to everyone who runs resyncs (they are the ones to act on it)."""
    users = get_user_model().objects.filter(is_active=True)
    Notification.objects.bulk_create(
        Notification(user=user, title="From the state", body=item.reason)
        for user in users
        if has_right(user, "batch", "R")
    )


def take_state_changes_now(client: StateClient | None = None) -> int:
    """take_state_changes through `client` or the DIS connection; a state that is down is
    tried again by the worker's housekeeping, so this never fails its caller."""
    try:
        if client is not None:
            return take_state_changes(client)
        with state_client(retries=0) as own:
            return take_state_changes(own)
    except NotConfigured:
        return 0
    except StateError as exc:
        log.warning("could not fetch the state's changes (will retry): %s", exc)
        return 0
