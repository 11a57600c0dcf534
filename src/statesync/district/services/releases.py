"""Answering a records request routed to this district (docs/TRANSFERS.md): what would be
sent — the student's person identity and every enrollment this district holds of them, across
years and schools — the documents attached to it, and the release or the decline."""

from __future__ import annotations

from django.conf import settings

from statesync.core import catalog, privatefiles
from statesync.core import transfers as wire
from statesync.core.sync.client import StateClient
from statesync.core.transfers import Status
from statesync.district.models import Side, Transfer, TransferDocument, TransferSettings, dis_model
from statesync.district.services.transfers import TransferError, kept

Person = dis_model(catalog.PERSON)
Enrollment = dis_model(catalog.ENROLLMENT)


def _answerable(transfer: Transfer) -> None:
    if transfer.side != Side.ROUTED or transfer.status != Status.ROUTED:
        raise TransferError(
            f"request {transfer.ref} is not waiting for this district's answer "
            f"({transfer.status_label.lower()})"
        )


def students(transfer: Transfer) -> list:
    """This district's person records of the student, the latest first: by state ID; for a
    national request (which knows this state's ID only if the requester did), by that ID
    where it finds them, else by name and birth date."""
    by_id = Person.objects.filter(**{catalog.STATE_ID_FIELD: transfer.state_id})
    if transfer.state_id and (by_id.exists() or not transfer.is_national):
        return list(by_id.order_by("-pk"))
    if not transfer.is_national:
        return []
    by_name = Person.objects.filter(
        last_name__iexact=transfer.last_name,
        first_name__iexact=transfer.first_name,
        birth_date=transfer.birth_date,
    )
    return list(by_name.order_by("-pk"))


def packet(transfer: Transfer, released_by: str) -> wire.Packet:
    """What a release sends: the person, their enrollments here, the attached documents."""
    people = students(transfer)
    if not people:
        raise TransferError(
            f"no person in this district is {transfer.first_name} {transfer.last_name} "
            f"(state ID {transfer.state_id or 'not given'}, born {transfer.birth_date}): "
            "decline, saying so"
        )
    person = people[0]
    enrollments = (
        Enrollment.objects.filter(person_id__in=[p.pk for p in people])
        .select_related("calendar__school")
        .order_by("-start_date")
    )
    return wire.Packet(
        released_by=released_by,
        person=wire.PacketPerson(
            state_id=getattr(person, catalog.STATE_ID_FIELD),
            last_name=person.last_name,
            first_name=person.first_name,
            middle_name=person.middle_name,
            suffix=person.suffix,
            birth_date=person.birth_date.isoformat(),
            gender=person.gender,
            hispanic=person.hispanic,
            race_codes=list(person.race_codes or []),
        ),
        enrollments=[
            wire.PacketEnrollment(
                school=e.calendar.school.name,
                school_number=e.calendar.school.state_school_number,
                school_year=e.calendar.school_year,
                grade=e.grade,
                service_type=e.service_type,
                start_date=e.start_date.isoformat(),
                start_status=e.start_status,
                end_date=e.end_date.isoformat() if e.end_date else None,
                end_status=e.end_status,
            )
            for e in enrollments
        ],
        documents=[
            wire.PacketDocument(
                kind=d.kind,
                label=d.label,
                content_type=d.content_type,
                content=privatefiles.read(transfer.folder(), d.file_name),
            )
            for d in transfer.files.filter(received=False)
        ],
    )


def attach(transfer: Transfer, kind: str, label: str, content: bytes, by: str) -> TransferDocument:
    """Keep a document for the release: its type checked by its content, its size and the
    number of documents limited; stored private, named by the system."""
    _answerable(transfer)
    if transfer.files.filter(received=False).count() >= wire.MAX_DOCUMENTS:
        raise TransferError(f"a release carries at most {wire.MAX_DOCUMENTS} documents")
    try:
        content_type = wire.check_document(kind, label, content, settings.TRANSFER_MAX_FILE_BYTES)
    except wire.DocumentRefused as exc:
        raise TransferError(str(exc)) from None
    document = TransferDocument.objects.create(
        transfer=transfer,
        kind=kind,
        label=label[:200] or wire.KINDS[kind],
        content_type=content_type,
        size=len(content),
        sha256="",
        added_by=by,
    )
    document.sha256 = privatefiles.write(transfer.folder(), document.file_name, content)
    document.save(update_fields=["sha256"])
    return document


def detach(transfer: Transfer, document_id: int) -> None:
    _answerable(transfer)
    document = transfer.files.filter(pk=document_id, received=False).first()
    if document is None:
        raise TransferError(f"request {transfer.ref} has no attached document {document_id}")
    (transfer.folder() / document.file_name).unlink(missing_ok=True)
    document.delete()


def may_release(user) -> None:
    """TransferError unless `user` is among those the district named to release records."""
    chosen = TransferSettings.current()
    if not chosen.may_release(user):
        raise TransferError(
            f"only members of {chosen.releasers} may release this district's records"
        )


def release(client: StateClient, transfer: Transfer, by: str) -> Transfer:
    """Send the packet to the requester, through the state (`by`: who released it)."""
    _answerable(transfer)
    sent = packet(transfer, by)
    item = client.transfer(f"/{transfer.state_ref}/release", sent)
    return kept(item, client)


def decline(client: StateClient, transfer: Transfer, reason: str, by: str) -> Transfer:
    _answerable(transfer)
    if not reason.strip():
        raise TransferError("say why the request is declined: the requester is told")
    answer = wire.Decline(reason=reason.strip()[:1000], declined_by=by)
    item = client.transfer(f"/{transfer.state_ref}/decline", answer)
    return kept(item, client)
