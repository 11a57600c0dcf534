from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


class RunLock(models.Model):
    """Who runs the district's batch resync now: one run per district at a time.

    Claimed with a conditional UPDATE, so it holds across any number of workers and processes
    on SQLite and PostgreSQL alike; a holder that stops beating loses it after settings.STALE_AFTER.
    """

    key = models.CharField(max_length=40, primary_key=True)
    run = models.ForeignKey("district.Run", null=True, blank=True, on_delete=models.SET_NULL)
    owner = models.CharField(max_length=40, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "district_runlock"

    def __str__(self) -> str:
        return f"{self.key}: run {self.run_id or '-'}"

    @classmethod
    def claim(cls, key: str, run=None) -> str | None:
        """Take the lock (for `run`, if it is a run's); returns the owner token, or None while
        someone alive holds it."""
        now = timezone.now()
        owner = uuid.uuid4().hex
        with transaction.atomic():
            cls.objects.get_or_create(key=key)
            free = (
                Q(owner="")
                | Q(heartbeat_at__isnull=True)
                | Q(heartbeat_at__lt=now - settings.STALE_AFTER)
            )
            taken = cls.objects.filter(free, key=key).update(run=run, owner=owner, heartbeat_at=now)
        return owner if taken else None

    @classmethod
    def beat(cls, key: str, owner: str) -> bool:
        """Keep the lock; False when it was lost (taken over after going stale)."""
        return bool(cls.objects.filter(key=key, owner=owner).update(heartbeat_at=timezone.now()))

    @classmethod
    def release(cls, key: str, owner: str) -> None:
        cls.objects.filter(key=key, owner=owner).update(run=None, owner="", heartbeat_at=None)
