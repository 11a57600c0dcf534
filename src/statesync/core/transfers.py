"""Student Records Transfer on the wire (docs/TRANSFERS.md): what a district asks the state,
what the state tells each district of its transfers, and the packet a former district
releases. Both editions use these structs; the state API documents them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from statesync.core.wire import ID

STATE_ID = Annotated[str, msgspec.Meta(pattern=r"^\d{10}$", description="10 digits")]
NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
REASON = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
NUMBER = Annotated[str, msgspec.Meta(pattern=r"^\d{4}$", description="4 digits")]


# The documents a district may attach, and the files it may attach them as: checked by what
# the file holds, never by its name or what the browser says it is.
KINDS = {
    "transcript": "Transcript",
    "special_education": "Special-education plan",
    "health": "Health record",
}
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
MAX_DOCUMENTS = 4


class DocumentRefused(ValueError):
    """A document not taken; the message names it and says why."""


def check_document(kind: str, label: str, content: bytes, max_bytes: int) -> str:
    """The document's type, read from its content; DocumentRefused for a kind not taken, an
    empty or too large file, or one that is not a PDF, PNG or JPEG whatever its name says."""
    if kind not in KINDS:
        raise DocumentRefused(f"{kind!r} is not a kind of document ({', '.join(KINDS)})")
    if not content:
        raise DocumentRefused(f"{label!r} is empty")
    if len(content) > max_bytes:
        raise DocumentRefused(
            f"{label!r} is {len(content):,} bytes; a document is at most {max_bytes:,} bytes"
        )
    found = content_type_of(content)
    if found is None:
        raise DocumentRefused(f"{label!r} is not a PDF, PNG or JPEG file, whatever its name says")
    return found


def content_type_of(content: bytes) -> str | None:
    """The file's type by its first bytes (PDF, PNG or JPEG), or None for anything else."""
    for signature, kind in SIGNATURES.items():
        if content.startswith(signature):
            return kind
    return None


class Status:
    """A transfer's states, in the order they are reached."""

    REQUESTED = "requested"  # asked; the state found no former district, or several to choose
    ROUTED = "routed"  # in the former district's inbox
    RELEASED = "released"
    DECLINED = "declined"
    RECEIVED = "received"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    LABELS = {
        REQUESTED: "Requested (not routed)",
        ROUTED: "Routed to the former district",
        RELEASED: "Released",
        DECLINED: "Declined",
        RECEIVED: "Received",
        EXPIRED: "Expired",
        CANCELLED: "Withdrawn by the requester",
    }
    OPEN = (REQUESTED, ROUTED, RELEASED)


class Ask(msgspec.Struct, forbid_unknown_fields=True):
    """A district asking for a student's records: the student's state ID, and the person in
    the asking district it is for (the state checks that district enrols them)."""

    state_id: STATE_ID
    person_id: ID
    first_name: NAME
    last_name: NAME
    birth_date: dt.date
    requested_by: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]


class Route(msgspec.Struct, forbid_unknown_fields=True):
    """The requester's choice among the former districts the state found."""

    district: NUMBER


class Decline(msgspec.Struct, forbid_unknown_fields=True):
    reason: REASON
    declined_by: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]


class Candidate(msgspec.Struct):
    """A district where the student was enrolled, the latest enrollment first."""

    district: str
    name: str
    last_enrolled: str | None


class Item(msgspec.Struct):
    """One transfer as the state tells a district of it (the requester or the former one)."""

    id: int
    status: str
    state_id: str
    first_name: str
    last_name: str
    birth_date: str
    requesting_district: str
    requesting_name: str
    requested_by: str
    requested_at: str
    former_district: str | None
    former_name: str | None
    candidates: list[Candidate]
    reason: str  # why it was not routed, or declined
    answered_at: str | None
    expires_at: str
    reminded_at: str | None
    documents: int = 0  # in the released packet
    former_school: str = ""  # what a national requester knew of the student's school


class PacketPerson(msgspec.Struct):
    state_id: str | None
    last_name: str
    first_name: str
    middle_name: str | None
    suffix: str | None
    birth_date: str
    gender: str
    hispanic: bool
    race_codes: list[str]


class PacketEnrollment(msgspec.Struct):
    school: str
    school_number: str
    school_year: int
    grade: str
    service_type: str
    start_date: str
    start_status: str
    end_date: str | None
    end_status: str | None


class PacketDocument(msgspec.Struct):
    kind: str
    label: Annotated[str, msgspec.Meta(max_length=200)]
    content_type: str
    content: bytes  # base64 in JSON


class Packet(msgspec.Struct, forbid_unknown_fields=True):
    """What a former district releases: the person, every enrollment it holds of them
    (across years and schools), and the documents it attaches."""

    released_by: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
    person: PacketPerson
    enrollments: list[PacketEnrollment]
    documents: list[PacketDocument] = msgspec.field(default_factory=list)
