"""Student Records Transfer at the state (docs/TRANSFERS.md): each request a district made for
a student's records, where the state routed it, and the packet released until it is received.

The state relays (core/relaying.py); it keeps a packet's documents only until the requester
takes them, in files private to its data folder that no page of the state's serves."""

from __future__ import annotations

from django.db import models

from statesync.core import transfers as wire
from statesync.core.relaying import (
    RelayedPacket,
    RelayedTransfer,
    default_expiry,  # noqa: F401  (migration 0012 names it here)
)
from statesync.state.models.registry import District


class Transfer(RelayedTransfer):
    requesting = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    former = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    state_id = models.CharField(max_length=10)
    candidates = models.JSONField(default=list)  # [{district, name, last_enrolled}]

    class Meta:
        db_table = "state_transfer"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["requesting", "status"], name="transfer_requesting"),
            models.Index(fields=["former", "status"], name="transfer_former"),
            models.Index(fields=["status", "expires_at"], name="transfer_expiry"),
        ]

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
            documents=self.documents_released(),
        )


class TransferPacket(RelayedPacket):
    EDITION = "state"

    transfer = models.OneToOneField(
        Transfer, on_delete=models.CASCADE, primary_key=True, related_name="packet"
    )

    class Meta:
        db_table = "state_transfer_packet"
