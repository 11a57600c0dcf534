"""The router's registry (docs/EXCHANGE.md): districts invited by the router's people, their
registration (terms accepted, places given), updates, withdrawal and credentials; the
locator; and a request from one registered district to another."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from statesync.core import exchange as wire
from statesync.core.db.routers import router_db
from statesync.core.relaying import Refused, route
from statesync.core.transfers import Status
from statesync.router.models import TERMS_VERSION, Credential, Member, Place, Transfer

LOCATED_AT_MOST = 50


def invite(name: str, state: str, by: str) -> tuple[Member, str]:
    """A district added to the registry, and its one-time registration token."""
    state = state.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", state):
        raise ValueError(f"state {state!r} must be a two-letter postal code, like IL")
    if not name.strip():
        raise ValueError("give the district's name")
    with transaction.atomic(using=router_db()):
        member = Member.objects.create(name=name.strip()[:100], state=state, added_by=by)
        return member, member.issue(Credential.REGISTRATION)


def register(member: Member, registration: wire.Registration) -> str:
    """Take the district's registration (its registration token used up): terms accepted,
    places given; its credential, shown once."""
    if not registration.accept_terms:
        raise Refused("the terms of service were not accepted: read them and accept them")
    if registration.terms_version != TERMS_VERSION:
        raise Refused(
            f"terms {registration.terms_version!r} are not the router's current terms "
            f"({TERMS_VERSION}): read them again"
        )
    member.status, member.registered_at = Member.REGISTERED, timezone.now()
    member.registered_by, member.terms_version = registration.registered_by, TERMS_VERSION
    member.withdrawn_at = None
    update(member, registration)
    return member.issue(Credential.CREDENTIAL)


def update(member: Member, registration: wire.Registration) -> Member:
    """The district's places (and contact) replaced by what it sent."""
    if member.status != Member.REGISTERED:
        raise Refused(f"district {member.code} is {member.status}: register first")
    member.contact = registration.contact
    member.save()
    member.places.all().delete()
    Place.objects.bulk_create(
        Place(member=member, city=p.city, zip_code=p.zip_code, share=p.share)
        for p in registration.places
    )
    return member


def withdraw(member: Member) -> Member:
    """The district leaves: unfindable, its credential revoked, its open requests withdrawn
    (those it asked for) or expired (those asked of it)."""
    member.status, member.withdrawn_at = Member.WITHDRAWN, timezone.now()
    member.save()
    member.places.all().delete()
    member.revoke()
    for transfer in Transfer.objects.filter(requesting=member, status__in=Status.OPEN):
        transfer.status, transfer.reason = Status.CANCELLED, "the district withdrew"
        transfer.save()
    for transfer in Transfer.objects.filter(former=member, status__in=Status.OPEN):
        transfer.status = Status.EXPIRED
        transfer.reason = f"district {member.code} withdrew from the exchange"
        transfer.save()
    return member


def as_registered(member: Member, credential: str | None = None) -> wire.Registered:
    return wire.Registered(
        code=member.code,
        name=member.name,
        state=member.state,
        status=member.status,
        registered_at=member.registered_at.isoformat() if member.registered_at else None,
        registered_by=member.registered_by,
        terms_version=member.terms_version,
        contact=member.contact,
        places=[wire.PlaceShare(p.city, p.zip_code, p.share) for p in member.places.all()],
        credential=credential,
    )


def locate(text: str, exclude: Member | None = None) -> list[wire.Located]:
    """Registered districts whose name holds `text`, or whose state, city or ZIP code it is."""
    text = " ".join(text.split())
    found = Member.objects.filter(status=Member.REGISTERED)
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    match = (
        Q(name__icontains=text)
        | Q(places__city__iexact=text)
        | Q(places__zip_code=text)
        | (Q(state=text.upper()) if len(text) == 2 else Q(pk__in=[]))
    )
    found = found.filter(match)
    members = found.distinct().prefetch_related("places")[:LOCATED_AT_MOST]
    return [
        wire.Located(
            code=m.code,
            name=m.name,
            state=m.state,
            places=[f"{p.city} {p.zip_code}" for p in m.places.all()],
        )
        for m in members
    ]


def member_by_code(code: str) -> Member | None:
    """The member a code (`IL-0007`) names, whatever its status."""
    state, _, number = code.partition("-")
    if not number.isdigit():
        return None
    return Member.objects.filter(pk=int(number), state=state).first()


def ask(requesting: Member, asked: wire.NationalAsk) -> Transfer:
    """A request to a registered district elsewhere, routed to it at once."""
    former = member_by_code(asked.district)
    if former is None or former.status != Member.REGISTERED:
        raise Refused(f"no registered district is {asked.district}: find it with the locator")
    if former.pk == requesting.pk:
        raise Refused("a district cannot ask itself: use Student Records Transfer in the state")
    open_already = Transfer.objects.filter(
        requesting=requesting,
        former=former,
        last_name__iexact=asked.last_name,
        birth_date=asked.birth_date,
        status__in=Status.OPEN,
    ).first()
    if open_already is not None:
        raise Refused(
            f"request {open_already.pk} for {asked.first_name} {asked.last_name} is still open "
            f"({open_already.status_label.lower()}); withdraw it first to ask again"
        )
    transfer = Transfer.objects.create(
        requesting=requesting,
        former=former,
        person_id=asked.person_id,
        first_name=asked.first_name,
        last_name=asked.last_name,
        birth_date=asked.birth_date,
        requested_by=asked.requested_by,
        former_school=asked.former_school,
        student_id=asked.student_id,
    )
    route(transfer, former)
    return transfer
