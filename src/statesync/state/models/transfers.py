"""Student Records Transfer at the state (docs/TRANSFERS.md): each request a district made for
a student's records, where the state routed it, and the packet released until it is received.

The state relays; it keeps a packet's documents only until the requester takes them, in files
private to its data folder that no page of the state's serves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from statesync.core import transfers as wire
from statesync.core.transfers import Status
from statesync.state.models.registry import District


def default_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.TRANSFER_KEEP_DAYS)


class Transfer(models.Model):
    requesting = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    former = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=12, default=Status.REQUESTED)
    state_id = models.CharField(max_length=10)
    person_id = models.BigIntegerField()  # the person in the requesting district
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    candidates = models.JSONField(default=list)  # [{district, name, last_enrolled}]
    reason = models.TextField(blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=default_expiry)

    class Meta:
        db_table = "state_transfer"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["requesting", "status"], name="transfer_requesting"),
            models.Index(fields=["former", "status"], name="transfer_former"),
            models.Index(fields=["status", "expires_at"], name="transfer_expiry"),
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk}: {self.last_name}, {self.first_name} ({self.status})"

    @property
    def status_label(self) -> str:
        return Status.LABELS.get(self.status, self.status)

    @property
    def age(self) -> dt.timedelta:
        return (self.answered_at or timezone.now()) - self.requested_at

    def as_item(self) -> wire.Item:
        """The transfer as the state API tells either district of it."""
        former = self.former
        return wire.Item(
            id=self.pk,
            status=self.status,
            state_id=self.state_id,
            first_name=self.first_name,
            last_name=self.last_name,
            birth_date=self.birth_date.isoformat(),
            requesting_district=self.requesting.number,
            requesting_name=self.requesting.name,
            requested_by=self.requested_by,
            requested_at=self.requested_at.isoformat(),
            former_district=former.number if former else None,
            former_name=former.name if former else None,
            candidates=[wire.Candidate(**c) for c in self.candidates],
            reason=self.reason,
            answered_at=self.answered_at.isoformat() if self.answered_at else None,
            expires_at=self.expires_at.isoformat(),
            reminded_at=self.reminded_at.isoformat() if self.reminded_at else None,
            documents=len(self.packet.documents) if self._has_packet() else 0,
        )

    def _has_packet(self) -> bool:
        try:
            return self.packet is not None
        except TransferPacket.DoesNotExist:
            return False


class TransferPacket(models.Model):
    """A released packet, kept until the requester receives it or it expires: the person and
    enrollments as JSON; documents' metadata here, their bytes in files (`folder()`)."""

    transfer = models.OneToOneField(
        Transfer, on_delete=models.CASCADE, primary_key=True, related_name="packet"
    )
    person = models.JSONField()
    enrollments = models.JSONField()
    documents = models.JSONField(default=list)  # [{kind, label, content_type, size, sha256}]

    class Meta:
        db_table = "state_transfer_packet"

    def __str__(self) -> str:
        return f"the packet of transfer {self.transfer_id}"

    def folder(self) -> Path:
        return Path(settings.HOME) / "transfers" / "state" / str(self.transfer_id)
