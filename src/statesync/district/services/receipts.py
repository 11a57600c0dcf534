"""Taking released records in (docs/TRANSFERS.md): the packet fetched from the state, the
person matched to one here or created with the state ID, the former enrollments kept as
prior history (not as this district's), the documents kept private; then the state is told,
and forgets the packet."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from statesync.core import catalog, privatefiles
from statesync.core import transfers as wire
from statesync.core.sync.client import StateClient
from statesync.core.transfers import Status
from statesync.district.models import PriorEnrollment, Side, Transfer, TransferDocument, dis_model
from statesync.district.services.transfers import TransferError, kept

Person = dis_model(catalog.PERSON)
CREATE = "create"


def receivable(transfer: Transfer) -> None:
    if transfer.side != Side.ASKED or transfer.status != Status.RELEASED:
        raise TransferError(
            f"request {transfer.ref} has nothing to receive ({transfer.status_label.lower()})"
        )


def fetch(client: StateClient, transfer: Transfer) -> wire.Packet:
    """The released packet, as the state holds it (what the receiving page shows)."""
    receivable(transfer)
    return client.transfer_packet(transfer.state_ref)


def receive(client: StateClient, transfer: Transfer, person: int | str, by: str) -> Transfer:
    """Take the packet in: `person` is the ID of a person here to match, or CREATE."""
    packet = fetch(client, transfer)
    with transaction.atomic():
        target = _person(packet.person, person, transfer.is_national)
        for e in packet.enrollments:
            PriorEnrollment.objects.create(
                transfer=transfer,
                person_id=target.pk,
                district=transfer.other_district,
                district_name=transfer.other_name,
                school=e.school,
                school_number=e.school_number,
                school_year=e.school_year,
                grade=e.grade,
                service_type=e.service_type,
                start_date=dt.date.fromisoformat(e.start_date),
                start_status=e.start_status,
                end_date=dt.date.fromisoformat(e.end_date) if e.end_date else None,
                end_status=e.end_status or "",
            )
        for d in packet.documents:
            document = TransferDocument.objects.create(
                transfer=transfer,
                received=True,
                kind=d.kind,
                label=d.label,
                content_type=wire.content_type_of(d.content) or "application/octet-stream",
                size=len(d.content),
                sha256="",
            )
            document.sha256 = privatefiles.write(transfer.folder(), document.file_name, d.content)
            document.save(update_fields=["sha256"])
        transfer.person_id, transfer.received_by = target.pk, by
        transfer.received_at = timezone.now()
        transfer.save(update_fields=["person_id", "received_by", "received_at"])
    item = client.transfer(f"/{transfer.state_ref}/received")
    return kept(item, client)


def _person(sent: wire.PacketPerson, chosen: int | str, national: bool):
    """The person here the records go to: one matched by ID, or one made from the packet."""
    if chosen != CREATE:
        found = Person.objects.filter(pk=int(chosen)).first()
        if found is None:
            raise TransferError(f"there is no person {chosen} in this district to match")
        return found
    district = dis_model(catalog.ROOT).objects.order_by("pk").first()
    if district is None:
        raise TransferError("this district has no District record to create the person under")
    made = Person.objects.create(
        district=district,
        last_name=sent.last_name,
        first_name=sent.first_name,
        middle_name=sent.middle_name,
        suffix=sent.suffix,
        birth_date=dt.date.fromisoformat(sent.birth_date),
        gender=sent.gender,
        hispanic=sent.hispanic,
        race_codes=sent.race_codes,
    )
    # The state's own ID for them, written as the sync down writes it; another state's ID is
    # not this state's: the state gives the person one of its own.
    if sent.state_id and not national:
        Person.objects.filter(pk=made.pk).update(**{catalog.STATE_ID_FIELD: sent.state_id})
    return made
