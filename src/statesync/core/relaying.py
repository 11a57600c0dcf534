"""Relaying a records request (docs/TRANSFERS.md, docs/EXCHANGE.md): what the state (within a
state) and the National Records Exchange's router (across state lines) both keep of a request
and its released packet, and the steps both take — release, decline, hand the packet over,
forget it once received, withdraw, remind, expire. Each edition's models inherit these and
name where their packets' files live."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TypeVar

import msgspec
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from statesync.core import privatefiles
from statesync.core import transfers as wire
from statesync.core.transfers import Status

log = logging.getLogger(__name__)
T = TypeVar("T", bound="RelayedTransfer")


class Refused(ValueError):
    """A step the relay will not take; the message says why and what to do."""


def default_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.TRANSFER_KEEP_DAYS)


class RelayedTransfer(models.Model):
    """One request for a student's records, from asking to receipt (or expiry)."""

    status = models.CharField(max_length=12, default=Status.REQUESTED)
    person_id = models.BigIntegerField()  # the person in the requesting district
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=default_expiry)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"transfer {self.pk}: {self.last_name}, {self.first_name} ({self.status})"

    @property
    def status_label(self) -> str:
        return Status.LABELS.get(self.status, self.status)

    @property
    def age(self) -> dt.timedelta:
        return (self.answered_at or timezone.now()) - self.requested_at

    @property
    def former_code(self) -> str:
        """The former district as the requester knows it ("" until routed)."""
        former = getattr(self, "former", None)
        return former.code if former is not None else ""

    def documents_released(self) -> int:
        try:
            return len(self.packet.documents)  # type: ignore[attr-defined]
        except models.ObjectDoesNotExist:
            return 0


class RelayedPacket(models.Model):
    """A released packet, kept until the requester receives it or it expires: the person and
    enrollments as JSON; documents' metadata here, their bytes in files (`folder()`)."""

    EDITION = ""  # the folder under transfers/ that holds this edition's packets' files

    person = models.JSONField()
    enrollments = models.JSONField()
    documents = models.JSONField(default=list)  # [{kind, label, content_type, size, sha256}]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"the packet of transfer {self.pk}"

    def folder(self) -> Path:
        return Path(settings.HOME) / "transfers" / self.EDITION / str(self.pk)


def _packets(transfer: RelayedTransfer) -> type[RelayedPacket]:
    return type(transfer).packet.related.related_model  # type: ignore[attr-defined]


def _must_be(transfer: RelayedTransfer, status: str, doing: str) -> None:
    if transfer.status != status:
        raise Refused(
            f"request {transfer.pk} is {transfer.status_label.lower()}: it cannot be {doing}"
        )


def route(transfer: T, former: models.Model) -> T:
    """Into `former`'s inbox."""
    transfer.former, transfer.status = former, Status.ROUTED  # type: ignore[attr-defined]
    transfer.routed_at, transfer.reason = timezone.now(), ""
    transfer.save()
    return transfer


def release(transfer: RelayedTransfer, packet: wire.Packet) -> RelayedTransfer:
    """Keep the former district's packet for the requester; its documents checked again."""
    _must_be(transfer, Status.ROUTED, "released")
    if len(packet.documents) > wire.MAX_DOCUMENTS:
        raise Refused(f"a packet carries at most {wire.MAX_DOCUMENTS} documents")
    for document in packet.documents:
        try:
            wire.check_document(
                document.kind, document.label, document.content, settings.TRANSFER_MAX_FILE_BYTES
            )
        except wire.DocumentRefused as exc:
            raise Refused(str(exc)) from None
    with transaction.atomic(using=transfer._state.db):
        held = _packets(transfer)._default_manager.create(  # type: ignore[misc]
            transfer=transfer,  # each edition's packet declares its own `transfer`
            person=msgspec.to_builtins(packet.person),
            enrollments=msgspec.to_builtins(packet.enrollments),
        )
        held.documents = [
            {
                "kind": d.kind,
                "label": d.label,
                "content_type": wire.content_type_of(d.content),
                "size": len(d.content),
                "sha256": privatefiles.write(held.folder(), str(n), d.content),
            }
            for n, d in enumerate(packet.documents, start=1)
        ]
        held.save()
        transfer.status, transfer.answered_at = Status.RELEASED, timezone.now()
        transfer.answered_by = packet.released_by
        transfer.expires_at = transfer.answered_at + dt.timedelta(days=settings.TRANSFER_KEEP_DAYS)
        transfer.save()
    return transfer


def decline(transfer: RelayedTransfer, declined: wire.Decline) -> RelayedTransfer:
    _must_be(transfer, Status.ROUTED, "declined")
    transfer.status, transfer.answered_at = Status.DECLINED, timezone.now()
    transfer.answered_by, transfer.reason = declined.declined_by, declined.reason
    transfer.save()
    return transfer


def packet_of(transfer: RelayedTransfer) -> wire.Packet:
    """The released packet, its documents read back, for the requester."""
    _must_be(transfer, Status.RELEASED, "received")
    held = transfer.packet  # type: ignore[attr-defined]
    documents = [
        wire.PacketDocument(
            kind=d["kind"],
            label=d["label"],
            content_type=d["content_type"],
            content=privatefiles.read(held.folder(), str(n)),
        )
        for n, d in enumerate(held.documents, start=1)
    ]
    return wire.Packet(
        released_by=transfer.answered_by,
        person=msgspec.convert(held.person, wire.PacketPerson),
        enrollments=[msgspec.convert(e, wire.PacketEnrollment) for e in held.enrollments],
        documents=documents,
    )


def received(transfer: RelayedTransfer) -> RelayedTransfer:
    """The requester has the packet: the relay forgets its content."""
    _must_be(transfer, Status.RELEASED, "received")
    _forget(transfer)
    transfer.status, transfer.received_at = Status.RECEIVED, timezone.now()
    transfer.save()
    return transfer


def cancel(transfer: RelayedTransfer) -> RelayedTransfer:
    """The requester withdraws a request still open."""
    if transfer.status not in Status.OPEN:
        raise Refused(f"request {transfer.pk} is {transfer.status_label.lower()} already")
    _forget(transfer)
    transfer.status = Status.CANCELLED
    transfer.save()
    return transfer


def _forget(transfer: RelayedTransfer) -> None:
    packet = _packets(transfer)._default_manager.filter(pk=transfer.pk).first()
    if packet is not None:
        privatefiles.remove(packet.folder())
        packet.delete()


def housekeeping(
    transfers: type[RelayedTransfer], now: dt.datetime | None = None
) -> tuple[int, int]:
    """Remind routed requests unanswered for TRANSFER_REMIND_DAYS (once); expire open ones
    past their time, with their packets. How many of each."""
    now = now or timezone.now()
    due = now - dt.timedelta(days=settings.TRANSFER_REMIND_DAYS)
    reminded = transfers._default_manager.filter(
        status=Status.ROUTED, routed_at__lt=due, reminded_at__isnull=True
    ).update(reminded_at=now)
    expired = 0
    for transfer in transfers._default_manager.filter(status__in=Status.OPEN, expires_at__lt=now):
        _forget(transfer)
        transfer.status, transfer.reason = Status.EXPIRED, _expiry_reason(transfer)
        transfer.save()
        expired += 1
    if reminded or expired:
        log.info("%s: %s reminded, %s expired", transfers.__name__, reminded, expired)
    return reminded, expired


def _expiry_reason(transfer: RelayedTransfer) -> str:
    if transfer.status == Status.RELEASED:
        return "released but not received in time; the packet was deleted"
    if transfer.status == Status.ROUTED:
        return f"district {transfer.former_code} did not answer in time"
    return "not routed in time"
