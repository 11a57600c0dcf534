"""The National Records Exchange on the wire (docs/EXCHANGE.md): a district registering with
the router, the places the locator finds it by, a search of the locator, and a request across
state lines. Requests then travel as Student Records Transfer's do (core/transfers.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from statesync.core.transfers import NAME
from statesync.core.wire import ID

STATE = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="postal code, e.g. IL")]
CODE = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}-\d{4,}$", description="e.g. IL-0001")]
WHO = Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
TERMS_VERSION = "2026-1"  # a district accepts these terms by this version
TERMS = (
    "Records released through the exchange are sent only to the registered district that asked "
    "for them, for a student it enrols or is about to enrol. A district releases a student's "
    "records only where its state's law and policy allow. The router relays each request and "
    "packet, keeps a packet only until it is received or expires, and shows its content to "
    "nobody. A district keeps its credential secret and withdraws when it stops taking part."
)


class PlaceShare(msgspec.Struct, forbid_unknown_fields=True):
    """A city and ZIP code the district's schools are in, with the share of its enrolled
    students they hold (0-1)."""

    city: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    zip_code: Annotated[str, msgspec.Meta(pattern=r"^\d{5}$")]
    share: Annotated[float, msgspec.Meta(ge=0, le=1)]


class Registration(msgspec.Struct, forbid_unknown_fields=True):
    """A district registering (with its registration token) or updating its registration."""

    accept_terms: bool
    terms_version: Annotated[str, msgspec.Meta(max_length=20)]
    registered_by: WHO
    places: list[PlaceShare]
    contact: Annotated[str, msgspec.Meta(max_length=200)] = ""


class Registered(msgspec.Struct):
    """A registration as the router holds it; `credential` only when one was just issued."""

    code: str
    name: str
    state: str
    status: str
    registered_at: str | None
    registered_by: str
    terms_version: str
    contact: str
    places: list[PlaceShare]
    credential: str | None = None


class Located(msgspec.Struct):
    """A registered district the locator found."""

    code: str
    name: str
    state: str
    places: list[str]  # "City 12345"


class NationalAsk(msgspec.Struct, forbid_unknown_fields=True):
    """A district asking a registered district elsewhere for a student's records, with what it
    knows: the name and birth date, and if known the former school and that state's ID."""

    district: CODE
    person_id: ID
    first_name: NAME
    last_name: NAME
    birth_date: dt.date
    requested_by: WHO
    former_school: Annotated[str, msgspec.Meta(max_length=100)] = ""
    student_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z-]{0,20}$")] = ""
