"""Routing a request for a student's records: the state checks that the asking district
enrols the student, then finds from its own copy the districts the student was enrolled in
before (by state ID, the latest enrollment first)."""

from __future__ import annotations

from django.db.models import Max

from statesync.core import catalog
from statesync.core import transfers as wire
from statesync.core.db.routers import state_db
from statesync.core.relaying import Refused, route
from statesync.core.transfers import Status
from statesync.state.models import District, copy_rows
from statesync.state.models.transfers import Transfer


def ask(requesting: District, asked: wire.Ask) -> Transfer:
    """Take a district's request: refused unless it enrols the student, routed where the
    student's former district is plain, left for the requester to choose where it is not."""
    enrolled_here(requesting, asked)
    open_already = Transfer.objects.filter(
        requesting=requesting, state_id=asked.state_id, status__in=Status.OPEN
    ).first()
    if open_already is not None:
        raise Refused(
            f"request {open_already.pk} for state ID {asked.state_id} is still open "
            f"({open_already.status_label.lower()}); withdraw it first to ask again"
        )
    transfer = Transfer.objects.create(
        requesting=requesting,
        state_id=asked.state_id,
        person_id=asked.person_id,
        first_name=asked.first_name,
        last_name=asked.last_name,
        birth_date=asked.birth_date,
        requested_by=asked.requested_by,
    )
    found = former_districts(requesting, asked.state_id)
    transfer.candidates = found
    if len(found) == 1:
        route(transfer, District.objects.get(number=found[0]["district"]))
    else:
        transfer.reason = (
            f"no other district has enrolled state ID {asked.state_id}"
            if not found
            else f"{len(found)} districts have enrolled this student: choose one"
        )
        transfer.save()
    return transfer


def enrolled_here(requesting: District, asked: wire.Ask) -> None:
    """Refused unless the asking district's copy at the state holds the person, with that
    state ID, and an enrollment of theirs (a pending one, starting later, counts)."""
    using = state_db()
    person = (
        copy_rows(catalog.PERSON, using)
        .filter(tenant=requesting, record_id=asked.person_id)
        .values_list(catalog.STATE_ID_FIELD, flat=True)
        .first()
    )
    if person is None:
        raise Refused(
            f"district {requesting.number} has not sent the state person {asked.person_id}: "
            "sync the person and their enrollment first"
        )
    if person != asked.state_id:
        raise Refused(
            f"person {asked.person_id} of district {requesting.number} has state ID "
            f"{person or 'none yet'} at the state, not {asked.state_id}"
        )
    enrolments = copy_rows(catalog.ENROLLMENT, using)
    if not enrolments.filter(tenant=requesting, person_id=asked.person_id).exists():
        raise Refused(
            f"district {requesting.number} has no enrollment for state ID {asked.state_id} at "
            "the state, so it has no business with the student's records: enrol the student "
            "(a pending enrollment counts) and sync it first"
        )


def former_districts(requesting: District, state_id: str) -> list[dict]:
    """Every other district that enrolled the student, the latest enrollment first."""
    using = state_db()
    people = (
        copy_rows(catalog.PERSON, using)
        .filter(**{catalog.STATE_ID_FIELD: state_id})
        .exclude(tenant=requesting)
        .values_list("tenant_id", "record_id")
    )
    latest: dict[int, str | None] = {}
    enrollments = copy_rows(catalog.ENROLLMENT, using)
    for tenant_id, record_id in people:
        last = enrollments.filter(tenant_id=tenant_id, person_id=record_id).aggregate(
            last=Max("start_date")
        )["last"]
        if last is not None and (latest.get(tenant_id) or "") < last.isoformat():
            latest[tenant_id] = last.isoformat()
    districts = District.objects.using(using).in_bulk(list(latest))
    found = [
        {"district": districts[pk].number, "name": districts[pk].name, "last_enrolled": day}
        for pk, day in latest.items()
    ]
    return sorted(found, key=lambda c: c["last_enrolled"] or "", reverse=True)


def choose(transfer: Transfer, number: str) -> Transfer:
    """The requester's choice among the districts the state found."""
    if transfer.status != Status.REQUESTED:
        raise Refused(f"request {transfer.pk} is {transfer.status_label.lower()}: not to route")
    offered = {c["district"] for c in transfer.candidates}
    if number not in offered:
        raise Refused(
            f"district {number} is not one the student was enrolled in; choose one of "
            f"{', '.join(sorted(offered)) or 'none: no other district enrolled them'}"
        )
    return route(transfer, District.objects.get(number=number))
