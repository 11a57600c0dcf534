"""The National Records Exchange in the district (docs/EXCHANGE.md): registering with the
router (terms accepted, the places the locator finds the district by), keeping, rotating or
withdrawing that registration, searching the District Locator, and asking a district in
another state for a student's records. Requests then live in Student Records Transfer's
inbox, marked national, and are answered and received there."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import msgspec
from django.db.models import Count, Max, Q

from statesync.core import catalog
from statesync.core import exchange as wire
from statesync.core.exchange import TERMS_VERSION
from statesync.core.sync.client import RouterClient
from statesync.district.models import Registration, Transfer, dis_model
from statesync.district.services.dis import router_client
from statesync.district.services.transfers import TransferError, kept

Enrollment = dis_model(catalog.ENROLLMENT)
Calendar = dis_model(catalog.YEAR_ANCHOR)
SLIVER = 0.01  # a place with at most this share of the enrolled students is not sent


@dataclass
class Places:
    """The places the locator would find this district by, and those left out (and why)."""

    sent: list[wire.PlaceShare]
    left_out: list[wire.PlaceShare]
    unplaced_schools: list[str]  # schools with no city or ZIP code
    students: int


def places() -> Places:
    """Where the district's students attend school: each city and ZIP code of its schools with
    its share of the students enrolled in the latest school year; places of a sliver (≤ 1 %)
    are left out, so the district is not found by where a handful of students live."""
    year = Calendar.objects.aggregate(latest=Max("school_year"))["latest"]
    enrolled = Enrollment.objects.filter(calendar__school_year=year)
    students = enrolled.values("person_id").distinct().count()
    school = "calendar__school__"
    rows = (
        enrolled.exclude(**{f"{school}city__isnull": True})
        .exclude(**{f"{school}zip_code__isnull": True})
        .values(f"{school}city", f"{school}zip_code")
        .annotate(n=Count("person_id", distinct=True))
        .order_by("-n")
    )
    found = [
        wire.PlaceShare(r[f"{school}city"], r[f"{school}zip_code"], _share(r["n"], students))
        for r in rows
        if r[f"{school}city"] and r[f"{school}zip_code"]
    ]
    missing = Q(city__isnull=True) | Q(city="") | Q(zip_code__isnull=True) | Q(zip_code="")
    unplaced = dis_model(catalog.SCHOOL).objects.filter(missing)
    return Places(
        sent=[p for p in found if p.share > SLIVER],
        left_out=[p for p in found if p.share <= SLIVER],
        unplaced_schools=sorted(unplaced.values_list("name", flat=True)),
        students=students,
    )


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def _registration(by: str, contact: str, found: Places) -> wire.Registration:
    return wire.Registration(
        accept_terms=True,
        terms_version=TERMS_VERSION,
        registered_by=by,
        places=found.sent,
        contact=contact,
    )


def register(router_url: str, token: str, by: str, contact: str = "", accept_terms=False):
    """Register with the router using its one-time registration token; the registration kept
    here with the credential the router issued."""
    if not accept_terms:
        raise TransferError("read the terms of service and accept them to register")
    router_url, token = _router_address(router_url), token.strip()
    if not REGISTRATION_TOKEN.fullmatch(token):
        raise TransferError(
            "the registration token is srr_ and 43 letters, digits, - or _, as the router's "
            "people gave it"
        )
    found = places()
    if not found.sent:
        raise TransferError(
            "no school has a city and ZIP code with enrolled students: give the schools theirs "
            "(School: City, ZIP Code) so the locator can find the district"
        )
    with RouterClient("", router_url, token.strip(), retries=1) as client:
        answer = client.call("POST", "/registration", _registration(by, contact, found))
    registered = msgspec.convert(answer, wire.Registered)
    Registration.objects.all().delete()  # one registration: a new one replaces the old
    return _keep(Registration(router_url=router_url), registered, found)


REGISTRATION_TOKEN = re.compile(r"srr_[A-Za-z0-9_-]{43}")


def _router_address(text: str) -> str:
    """The router's address as typed, or TransferError saying what is wrong with it."""
    text = text.strip().rstrip("/")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or len(text) > 200:
        raise TransferError(f"{text[:200]!r} is not a router address (https://host[:port])")
    return text


def _keep(registration: Registration, said: wire.Registered, found: Places | None = None):
    registration.code, registration.name, registration.state = said.code, said.name, said.state
    registration.status, registration.registered_by = said.status, said.registered_by
    registration.registered_at = said.registered_at
    registration.terms_version, registration.contact = said.terms_version, said.contact
    registration.places = msgspec.to_builtins(said.places)
    if found is not None:
        registration.left_out = msgspec.to_builtins(found.left_out)
    if said.credential:
        registration.credential = said.credential
    registration.save()
    return registration


def current() -> Registration:
    registration = Registration.current()
    if registration is None:
        raise TransferError("this district is not registered with the National Records Exchange")
    return registration


def status() -> Registration:
    """The registration as the router holds it now."""
    registration = current()
    with router_client(retries=1) as client:
        answer = client.call("GET", "/registration")
    return _keep(registration, msgspec.convert(answer, wire.Registered))


def update(by: str, contact: str | None = None) -> Registration:
    """Send the router the district's places as they are now (and a new contact)."""
    registration = current()
    found = places()
    chosen = registration.contact if contact is None else contact
    with router_client(retries=1) as client:
        answer = client.call("PUT", "/registration", _registration(by, chosen, found))
    return _keep(registration, msgspec.convert(answer, wire.Registered), found)


def rotate() -> Registration:
    """A new credential from the router; the old one stops working."""
    registration = current()
    with router_client(retries=1) as client:
        answer = client.call("POST", "/registration/rotate")
    return _keep(registration, msgspec.convert(answer, wire.Registered))


def withdraw() -> Registration:
    """Leave the exchange: the district is no longer found and its credential stops."""
    registration = current()
    with router_client(retries=1) as client:
        answer = client.call("DELETE", "/registration")
    registration.credential = ""
    return _keep(registration, msgspec.convert(answer, wire.Registered))


def locate(text: str) -> list[wire.Located]:
    """Registered districts (in other states too) by name, state, city or ZIP code."""
    if not text.strip():
        raise TransferError("type a name, a state, a city or a ZIP code to search for")
    with router_client(retries=1) as client:
        answer = client.call("GET", "/districts", params={"q": text.strip()[:200]})
    return msgspec.convert(answer, list[wire.Located])


def request(
    person, district: str, by: str, former_school: str = "", student_id: str = ""
) -> Transfer:
    """Ask registered district `district` (IL-0007) for `person`'s records, with what this
    district knows of the student; the request as the router routed it."""
    try:
        asked = msgspec.convert(
            {
                "district": district.strip().upper(),
                "person_id": person.pk,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "birth_date": person.birth_date.isoformat(),
                "requested_by": by,
                "former_school": former_school.strip(),
                "student_id": student_id.strip(),
            },
            wire.NationalAsk,
        )
    except msgspec.ValidationError as exc:
        raise TransferError(f"the request is not valid: {exc}") from None
    with router_client(retries=1) as client:
        item = client.transfer("", asked)
        transfer = kept(item, client)
    transfer.person_id = person.pk
    transfer.save(update_fields=["person_id"])
    return transfer
