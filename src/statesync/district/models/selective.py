from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from statesync import catalog


class SelectiveSync(models.Model):
    """One selective sync: who asked, for what, and what happened (the Sync History)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Syncing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    object = models.CharField(max_length=40)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    ids_asked = models.JSONField(default=list)
    not_ids = models.JSONField(default=list)
    synced = models.JSONField(default=list)
    not_found = models.JSONField(default=list)
    rejected = models.JSONField(default=dict, help_text="ID → errors the state gave.")

    class Meta:
        db_table = "district_selectivesync"
        ordering = ["-id"]
        verbose_name = "selective sync"

    def __str__(self) -> str:
        return f"Selective sync {self.pk} of {len(self.ids_asked)} {self.object} IDs"

    @property
    def label(self) -> str:
        return catalog.get(self.object).selective_label

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "object": self.object,
            "status": self.status,
            "message": self.message,
            "requested_by": self.requested_by.get_username() if self.requested_by else None,
            "created_at": self.created_at.isoformat(),
            "ids_asked": self.ids_asked,
            "not_ids": self.not_ids,
            "synced": self.synced,
            "not_found": self.not_found,
            "rejected": self.rejected,
        }
