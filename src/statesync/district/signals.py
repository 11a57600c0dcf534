"""Real-time sync: every save or delete through the application queues an outbox entry."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from statesync.district.models import DIS_MODELS, OutboxEntry
from statesync.district.worker.tasks import drain_outbox

log = logging.getLogger(__name__)


def record_change(sender, instance, created: bool = False, **kwargs) -> None:
    # Same connection and transaction as the change: both commit or neither does.
    action = "delete" if kwargs["signal"] is post_delete else "add" if created else "change"
    OutboxEntry.objects.create(object=sender.dis_object.name, record_id=instance.pk, action=action)
    # One wake-up per transaction, not one per record of a cascading delete.
    pending = transaction.get_connection().run_on_commit
    if not any(callback is _wake_drainer for _, callback, _ in pending):
        transaction.on_commit(_wake_drainer)


def _wake_drainer() -> None:
    try:
        drain_outbox()
    except Exception:  # the queue being away must not fail a save; housekeeping drains later
        log.exception("could not queue the real-time drain")


def connect() -> None:
    for model in DIS_MODELS.values():
        post_save.connect(record_change, sender=model, dispatch_uid=f"outbox-save-{model.__name__}")
        post_delete.connect(
            record_change, sender=model, dispatch_uid=f"outbox-delete-{model.__name__}"
        )
