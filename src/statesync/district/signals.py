"""Real-time sync: every save or delete through the application queues an outbox entry."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from statesync.district.models import DIS_MODELS, OutboxEntry


def record_change(sender, instance, **kwargs) -> None:
    # Same connection and transaction as the change: both commit or neither does.
    OutboxEntry.objects.create(object=sender.dis_object.name, record_id=instance.pk)


def connect() -> None:
    for model in DIS_MODELS.values():
        post_save.connect(record_change, sender=model, dispatch_uid=f"outbox-save-{model.__name__}")
        post_delete.connect(
            record_change, sender=model, dispatch_uid=f"outbox-delete-{model.__name__}"
        )
