"""Relaying a former district's answer: the packet it releases is kept (documents in private
files) until the requester receives it; a decline says why; what nobody answers is reminded,
then expires with its packet."""

from __future__ import annotations

import datetime as dt
import logging

import msgspec
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from statesync.core import privatefiles
from statesync.core import transfers as wire
from statesync.core.transfers import Status
from statesync.state.models.transfers import Transfer, TransferPacket
from statesync.state.transfers.routing import Refused

log = logging.getLogger(__name__)


def _must_be(transfer: Transfer, status: str, doing: str) -> None:
    if transfer.status != status:
        raise Refused(
            f"request {transfer.pk} is {transfer.status_label.lower()}: it cannot be {doing}"
        )


def release(transfer: Transfer, packet: wire.Packet) -> Transfer:
    """Keep the former district's packet for the requester; its documents checked again."""
    _must_be(transfer, Status.ROUTED, "released")
    if len(packet.documents) > wire.MAX_DOCUMENTS:
        raise Refused(f"a packet carries at most {wire.MAX_DOCUMENTS} documents")
    kept = []
    for n, document in enumerate(packet.documents, start=1):
        try:
            wire.check_document(
                document.kind, document.label, document.content, settings.TRANSFER_MAX_FILE_BYTES
            )
        except wire.DocumentRefused as exc:
            raise Refused(str(exc)) from None
        kept.append((n, document))
    with transaction.atomic():
        held = TransferPacket.objects.create(
            transfer=transfer,
            person=_plain(packet.person),
            enrollments=[_plain(e) for e in packet.enrollments],
        )
        held.documents = [
            {
                "kind": d.kind,
                "label": d.label,
                "content_type": wire.content_type_of(d.content),
                "size": len(d.content),
                "sha256": privatefiles.write(held.folder(), str(n), d.content),
            }
            for n, d in kept
        ]
        held.save()
        transfer.status, transfer.answered_at = Status.RELEASED, timezone.now()
        transfer.answered_by = packet.released_by
        transfer.expires_at = transfer.answered_at + dt.timedelta(days=settings.TRANSFER_KEEP_DAYS)
        transfer.save()
    return transfer


def _plain(struct) -> dict:
    return msgspec.to_builtins(struct)


def decline(transfer: Transfer, declined: wire.Decline) -> Transfer:
    _must_be(transfer, Status.ROUTED, "declined")
    transfer.status, transfer.answered_at = Status.DECLINED, timezone.now()
    transfer.answered_by, transfer.reason = declined.declined_by, declined.reason
    transfer.save()
    return transfer


def packet_of(transfer: Transfer) -> wire.Packet:
    """The released packet, its documents read back, for the requester."""
    _must_be(transfer, Status.RELEASED, "received")
    held = transfer.packet
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


def received(transfer: Transfer) -> Transfer:
    """The requester has the packet: the state forgets its content."""
    _must_be(transfer, Status.RELEASED, "received")
    _forget(transfer)
    transfer.status, transfer.received_at = Status.RECEIVED, timezone.now()
    transfer.save()
    return transfer


def cancel(transfer: Transfer) -> Transfer:
    """The requester withdraws a request still open."""
    if transfer.status not in Status.OPEN:
        raise Refused(f"request {transfer.pk} is {transfer.status_label.lower()} already")
    _forget(transfer)
    transfer.status = Status.CANCELLED
    transfer.save()
    return transfer


def _forget(transfer: Transfer) -> None:
    packet = TransferPacket.objects.filter(transfer=transfer).first()
    if packet is not None:
        privatefiles.remove(packet.folder())
        packet.delete()


def housekeeping(now: dt.datetime | None = None) -> tuple[int, int]:
    """Remind routed requests unanswered for TRANSFER_REMIND_DAYS (once); expire open ones
    past their time, with their packets. How many of each."""
    now = now or timezone.now()
    due = now - dt.timedelta(days=settings.TRANSFER_REMIND_DAYS)
    reminded = Transfer.objects.filter(
        status=Status.ROUTED, routed_at__lt=due, reminded_at__isnull=True
    ).update(reminded_at=now)
    expired = 0
    for transfer in Transfer.objects.filter(status__in=Status.OPEN, expires_at__lt=now):
        _forget(transfer)
        transfer.status, transfer.reason = Status.EXPIRED, _expiry_reason(transfer)
        transfer.save()
        expired += 1
    if reminded or expired:
        log.info("Student Records Transfer: %s reminded, %s expired", reminded, expired)
    return reminded, expired


def _expiry_reason(transfer: Transfer) -> str:
    if transfer.status == Status.RELEASED:
        return "released but not received in time; the packet was deleted"
    if transfer.status == Status.ROUTED and transfer.former is not None:
        return f"district {transfer.former.number} did not answer in time"
    return "not routed in time"
