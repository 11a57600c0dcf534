from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from statesync.core import catalog

# A sync whose carrier died this many times is failed, not tried again.
MAX_ATTEMPTS = 3


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
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of whoever carries the sync out."
    )
    attempts = models.IntegerField(default=0)

    class Meta:
        db_table = "district_selectivesync"
        ordering = ["-id"]
        verbose_name = "selective sync"

    def __str__(self) -> str:
        return f"Selective sync {self.pk} of {len(self.ids_asked)} {self.object} IDs"

    @classmethod
    def stalled(cls) -> models.QuerySet[SelectiveSync]:
        """Pending syncs nobody has carried on for STALE_AFTER: their worker died, or their
        task was lost."""
        stale = timezone.now() - settings.STALE_AFTER
        never_seen = Q(heartbeat_at__isnull=True, created_at__lt=stale)
        return cls.objects.filter(status=cls.Status.PENDING).filter(
            never_seen | Q(heartbeat_at__lt=stale)
        )

    @classmethod
    def create_held(cls, **fields) -> SelectiveSync:
        """A new sync already claimed by the one who made it, to carry out at once (its claim
        is part of the row's first write, not a second)."""
        return cls.objects.create(heartbeat_at=timezone.now(), attempts=1, **fields)

    def claim(self) -> bool:
        """Take this pending sync to carry out; False if it ended or someone alive holds it."""
        now = timezone.now()
        free = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - settings.STALE_AFTER)
        taken = (
            SelectiveSync.objects.filter(pk=self.pk, status=self.Status.PENDING)
            .filter(free)
            .update(heartbeat_at=now, attempts=F("attempts") + 1)
        )
        self.refresh_from_db(fields=["heartbeat_at", "attempts", "status"])
        return bool(taken)

    def _held(self) -> models.QuerySet[SelectiveSync]:
        """This sync while it is pending and still this carrier's: each claim counts an
        attempt, so the attempt claimed is the lease's token."""
        return SelectiveSync.objects.filter(
            pk=self.pk, status=self.Status.PENDING, attempts=self.attempts
        )

    def beat(self) -> bool:
        """Say the sync is still being carried out; False once it ended or was taken over."""
        return bool(self._held().update(heartbeat_at=timezone.now()))

    def still_held(self) -> bool:
        """Whether this carrier may still save the sync's result (inside its transaction)."""
        return self._held().select_for_update().exists()

    def give_up(self) -> None:
        """Fail a sync whose carrier died MAX_ATTEMPTS times: trying again would die again."""
        self.status = self.Status.FAILED
        self.message = (
            f"The worker stopped {self.attempts} times while syncing these IDs, so it was not "
            "tried again. Sync them again; if it fails the same way, see the worker's log."
        )
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "message", "finished_at"])

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
