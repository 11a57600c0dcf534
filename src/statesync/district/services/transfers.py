"""Student Records Transfer in the district (docs/TRANSFERS.md): asking for an incoming
student's records, answering a request routed here (release with documents, or decline), and
taking released records in. The state relays every step; this district keeps what the state
last told it (`refresh`) and tells its people what concerns them."""

from __future__ import annotations

import datetime as dt
import logging

import msgspec
from django.contrib.auth import get_user_model
from django.urls import reverse

from statesync.access.rights import has_right
from statesync.core import catalog, privatefiles
from statesync.core import transfers as wire
from statesync.core.sync.client import StateClient
from statesync.core.transfers import Status
from statesync.district.models import (
    Side,
    Transfer,
    TransferSettings,
    dis_model,
)
from statesync.district.services.dis import with_the_router, with_the_state
from statesync.district.services.notify import tell

log = logging.getLogger(__name__)
Person = dis_model(catalog.PERSON)
Enrollment = dis_model(catalog.ENROLLMENT)


class TransferError(ValueError):
    """What cannot be done, and why; nothing was changed."""


# What the state says of each transfer, kept here.


def refresh(client: StateClient) -> list[Transfer]:
    """Take what the state (or the router) says of this district's transfers; tell people
    what is new."""
    changed = []
    for item in client.transfers():
        transfer = _keep(item, client.district_number, client.relay)
        if transfer is not None:
            changed.append(transfer)
    return changed


def _keep(item: wire.Item, number: str, relay: str) -> Transfer | None:
    side = Side.ASKED if item.requesting_district == number else Side.ROUTED
    other = (
        (item.former_district or "", item.former_name or "")
        if side == Side.ASKED
        else (item.requesting_district, item.requesting_name)
    )
    values = {
        "side": side,
        "status": item.status,
        "state_id": item.state_id,
        "first_name": item.first_name,
        "last_name": item.last_name,
        "birth_date": dt.date.fromisoformat(item.birth_date),
        "other_district": other[0],
        "other_name": other[1],
        "requested_by": item.requested_by,
        "requested_at": dt.datetime.fromisoformat(item.requested_at),
        "candidates": msgspec.to_builtins(item.candidates),
        "reason": item.reason,
        "answered_at": _moment(item.answered_at),
        "expires_at": dt.datetime.fromisoformat(item.expires_at),
        "reminded_at": _moment(item.reminded_at),
        "documents": item.documents,
        "former_school": item.former_school,
    }
    transfer, _ = Transfer.objects.update_or_create(relay=relay, state_ref=item.id, defaults=values)
    news = f"{transfer.status}{'+reminded' if transfer.reminded_at else ''}"
    if transfer.told == news:
        return None
    _tell(transfer, news)
    transfer.told = news
    transfer.save(update_fields=["told"])
    return transfer


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _tell(transfer: Transfer, news: str) -> None:
    """A notification (and e-mail) to whom this news concerns."""
    url = reverse("district:transfer", args=[transfer.ref])
    known = f"state ID {transfer.state_id}" if transfer.state_id else f"born {transfer.birth_date}"
    who = f"{transfer.first_name} {transfer.last_name} ({known})"
    if transfer.side == Side.ROUTED:
        if transfer.status != Status.ROUTED:
            return
        verb = "Reminder: still waiting" if transfer.reminded_at else "A records request"
        national = " (National Records Exchange)" if transfer.is_national else ""
        title = f"{verb}{national}: district {transfer.other_district} asks for {who}'s records"
        by = f"{transfer.expires_at:%Y-%m-%d}"
        body = f"Requested by {transfer.requested_by}. Release or decline by {by}."
        for user in releasers():
            tell(user, title, body, url)
        return
    title = f"Records request for {who}: {transfer.status_label.lower()}"
    body = transfer.reason or f"District {transfer.other_district or '—'}."
    for user in _requesters(transfer):
        tell(user, title, body, url)


def releasers() -> list:
    """Who may release this district's records: W on the tool, and in the named group."""
    chosen = TransferSettings.current()
    users = get_user_model().objects.filter(is_active=True)
    return [u for u in users if has_right(u, "transfers", "W") and chosen.may_release(u)]


def _requesters(transfer: Transfer) -> list:
    users = get_user_model().objects.filter(is_active=True)
    named = list(users.filter(username=transfer.requested_by))
    return named or [u for u in users if has_right(u, "transfers", "R")]


# Asking for an incoming student's records.


def find_person(
    enrollment_id: int | None = None,
    state_id: str = "",
    last_name: str = "",
    first_name: str = "",
    birth_date: dt.date | None = None,
):
    """The incoming student the request is for: by their enrollment here, their state ID, or
    their name and birth date; TransferError naming what was not found."""
    if enrollment_id is not None:
        enrollment = Enrollment.objects.filter(pk=enrollment_id).first()
        if enrollment is None:
            raise TransferError(f"there is no enrollment {enrollment_id} in this district")
        return enrollment.person
    if state_id:
        found = Person.objects.filter(**{catalog.STATE_ID_FIELD: state_id.zfill(10)})
        wanted = f"state ID {state_id}"
    elif last_name and birth_date:
        found = Person.objects.filter(last_name__iexact=last_name.strip(), birth_date=birth_date)
        if first_name:
            found = found.filter(first_name__iexact=first_name.strip())
        wanted = f"{first_name} {last_name} born {birth_date}".strip()
    else:
        raise TransferError(
            "say who the student is: an enrollment ID, a state ID, or a last name and birth date"
        )
    people = list(found.order_by("-pk")[:2])
    if not people:
        raise TransferError(f"no person in this district has {wanted}: enrol the student first")
    if len(people) > 1 and not state_id:
        raise TransferError(f"more than one person has {wanted}: give the enrollment or state ID")
    return people[0]


def request(client: StateClient, person, by: str) -> Transfer:
    """Ask the state for `person`'s records; the transfer as the state answered."""
    state_id = getattr(person, catalog.STATE_ID_FIELD)
    if not state_id:
        raise TransferError(
            f"person {person.pk} has no state ID yet: sync them (the state gives one), then ask"
        )
    asked = wire.Ask(
        state_id=state_id,
        person_id=person.pk,
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        requested_by=by,
    )
    item = client.transfer("", asked)
    transfer = kept(item, client)
    transfer.person_id = person.pk
    transfer.save(update_fields=["person_id"])
    return transfer


def kept(item: wire.Item, client: StateClient) -> Transfer:
    """The transfer as `client`'s relay just told of it, kept here."""
    _keep(item, client.district_number, client.relay)
    return Transfer.objects.get(relay=client.relay, state_ref=item.id)


def choose(client: StateClient, transfer: Transfer, district: str) -> Transfer:
    """Route a request to one of the former districts the state found."""
    return kept(client.transfer(f"/{transfer.state_ref}/route", wire.Route(district)), client)


def delete(client: StateClient, transfer: Transfer) -> None:
    """Withdraw the request at the state if it is still open, then forget it here with its
    files (a transfer routed here is only forgotten once it is closed)."""
    if transfer.side == Side.ROUTED and transfer.is_open:
        raise TransferError("answer the request first: release or decline it")
    if transfer.side == Side.ASKED and transfer.is_open:
        client.transfer(f"/{transfer.state_ref}/cancel")
    privatefiles.remove(transfer.folder())
    transfer.delete()


def as_dict(transfer: Transfer) -> dict:
    """A transfer as the command line's JSON and the district API give it."""
    fields = (
        *("state_ref", "side", "status", "state_id", "first_name", "last_name", "birth_date"),
        *("other_district", "other_name", "requested_by", "requested_at", "candidates"),
        *("reason", "answered_at", "expires_at", "reminded_at", "person_id", "received_at"),
        *("is_national", "former_school"),
    )
    found = {name: getattr(transfer, name) for name in fields}
    found["id"], found["ref"] = found.pop("state_ref"), transfer.ref
    found["documents"] = [
        {"id": d.pk, "kind": d.kind, "label": d.label, "received": d.received, "size": d.size}
        for d in transfer.files.all()
    ]
    found["prior_enrollments"] = transfer.prior.count()
    return msgspec.to_builtins(found)


def refresh_now(client: StateClient | None = None) -> int:
    """refresh through `client` or the DIS connection, never failing its caller (the worker
    asks every minute): how many transfers had news."""
    told = with_the_state(lambda own: len(refresh(own)), "fetch records transfers", client)
    return told + with_the_router(lambda own: len(refresh(own)), "fetch national requests")
