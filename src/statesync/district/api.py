"""The district API for automation (docs/DESIGN.md §10's actions over HTTP), with personal tokens.

A token acts as its user, with exactly that user's tool rights, checked on every call. The
OpenAPI document (`openapi.json`) is generated from these schemas by django-ninja.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from django.db import models
from django.http import HttpRequest
from ninja import Field, Path, Query, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from statesync.access import audit
from statesync.access.models import PersonalToken
from statesync.access.rights import has_right, right_label
from statesync.core import catalog
from statesync.core.http.jsonapi import ApiErrorOut, JsonApi
from statesync.core.modes import Mode
from statesync.core.sync.client import StateError
from statesync.district.models import ErrorLogEntry, Run, SelectiveSync, Transfer
from statesync.district.services import actions, receipts, releases, selective, transfers
from statesync.district.services.dis import relay_client, state_client

MAX_ID = 2**63 - 1
RecordId = Path(..., ge=1, le=MAX_ID)
TransferRef = Path(..., pattern=r"^N?[0-9]{1,18}$", description="7, or N7 for a national one")


class PersonalTokenAuth(HttpBearer):
    """`Authorization: Bearer <personal token>`: the call acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = PersonalToken.authenticate(token.strip())
        if user is not None:
            request.user = user
        return user


api = JsonApi(
    title="statesync district API",
    version="1",
    description="Automation with personal tokens (Profile page). Each call needs the tool "
    "right named in its description, and acts with exactly its user's rights.",
    auth=PersonalTokenAuth(),
    token_name="personal token",
    urls_namespace="district-api",
    docs_url=None,
)


def require(request: HttpRequest, slug: str, letter: str) -> None:
    """403 unless the token's user holds `letter` on tool `slug`."""
    if not has_right(request.user, slug, letter):
        raise HttpError(403, f"you need {right_label(slug, letter)}")


class ResyncIn(Schema, extra="forbid"):
    objects: list[str] = Field(..., max_length=len(catalog.NAMES) * 4)
    mode: Mode = Mode.DIFFERENTIAL
    check_dependencies: bool = False


class SelectiveIn(Schema, extra="forbid"):
    object: str = Field(..., description=f"One of {', '.join(selective.OBJECTS)}.")
    ids: str | list[int] = Field(
        ..., description="IDs as text (line breaks, commas or spaces) or a list of integers."
    )


class RunObjectOut(Schema):
    object: str
    status: str
    processed: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    errors: int
    total: int
    seconds: float


class RunOut(Schema):
    run: int
    status: str
    queue_position: int | None
    mode: str
    school_year: int
    message: str
    objects: list[RunObjectOut]
    started_at: datetime | None
    finished_at: datetime | None


class ErrorEntryOut(Schema):
    run: int | None
    source: str
    object: str
    record_id: int
    school_id: int | None
    code: str
    field: str
    message: str
    created_at: datetime


class ErrorPageOut(Schema):
    run: int
    errors: list[ErrorEntryOut]
    next_after: int | None


class SelectiveOut(Schema):
    id: int
    object: str
    status: str
    message: str
    requested_by: str | None
    created_at: datetime
    ids_asked: list[int]
    not_ids: list[str]
    synced: list[int]
    not_found: list[int]
    rejected: dict[str, list[dict[str, str]]]


ERRORS: dict[int, type[Schema]] = {c: ApiErrorOut for c in (400, 401, 403)}


M = TypeVar("M", bound=models.Model)


def get_or_404(model: type[M], pk: int) -> M:
    """The `model` row `pk`, or a 404 that names what is missing."""
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise HttpError(404, f"there is no {model._meta.verbose_name} {pk}")
    return found


@api.post(
    "/resync",
    response={202: RunOut, **ERRORS},
    summary="Queue a batch resync",
    description="Needs R on Resync State Data - Batch.",
)
def start_resync(request: HttpRequest, body: ResyncIn) -> Status[dict]:
    require(request, "batch", "R")
    try:
        run = actions.start_resync(
            request, body.objects, body.mode, body.check_dependencies, via="api"
        )
    except (catalog.PlanError, catalog.UnknownObject) as exc:
        raise HttpError(400, str(exc)) from None
    return Status(202, run.result())


@api.get(
    "/runs/{pk}",
    response={200: RunOut, 404: ApiErrorOut, **ERRORS},
    summary="A run's status and counts",
    description="Needs R on Resync State Data - Batch.",
)
def run_status(request: HttpRequest, pk: int = RecordId) -> dict:
    require(request, "batch", "R")
    return get_or_404(Run, pk).result()


@api.get(
    "/runs/{pk}/errors",
    response={200: ErrorPageOut, 404: ApiErrorOut, **ERRORS},
    summary="A run's error-log entries, in pages",
    description="Needs R on Error Log.",
)
def run_errors(
    request: HttpRequest,
    pk: int = RecordId,
    after: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(1000, ge=1, le=10_000),
) -> dict:
    require(request, "errorlog", "R")
    run = get_or_404(Run, pk)
    entries = list(ErrorLogEntry.objects.filter(run=run, pk__gt=after).order_by("pk")[:limit])
    return {
        "run": run.pk,
        "errors": [e.as_dict() for e in entries],
        "next_after": entries[-1].pk if len(entries) == limit else None,
    }


@api.post(
    "/selective-sync",
    response={200: SelectiveOut, 202: SelectiveOut, 413: ApiErrorOut, **ERRORS},
    summary="Sync persons or enrollments by ID",
    description="Needs W on Resync State Data - Selective Sync. Up to "
    f"{selective.INLINE_LIMIT} IDs answer at once (200); more run in the worker (202: poll "
    "the sync).",
)
def selective_sync(request: HttpRequest, body: SelectiveIn) -> Status[dict]:
    require(request, "selective", "W")
    if body.object not in selective.OBJECTS:
        raise HttpError(400, f"object must be one of {', '.join(selective.OBJECTS)}")
    text = body.ids if isinstance(body.ids, str) else " ".join(str(i) for i in body.ids)
    try:
        parsed = selective.parse_ids(text)
    except selective.SelectionError as exc:
        raise HttpError(413, str(exc)) from None
    if not parsed.ids:
        raise HttpError(400, "IDs are whole numbers; none were found")
    entry = actions.start_selective_sync(request, body.object, parsed, via="api")
    done = entry.status != SelectiveSync.Status.PENDING
    return Status(200 if done else 202, entry.as_dict())


@api.get(
    "/selective-sync/{pk}",
    response={200: SelectiveOut, 404: ApiErrorOut, **ERRORS},
    summary="One selective sync's outcome",
    description="Needs R on Resync State Data - Selective Sync.",
)
def selective_status(request: HttpRequest, pk: int = RecordId) -> dict:
    require(request, "selective", "R")
    return get_or_404(SelectiveSync, pk).as_dict()


# Student Records Transfer (docs/TRANSFERS.md): the same steps as its page and command line.


class TransferDocumentOut(Schema):
    id: int
    kind: str
    label: str
    received: bool
    size: int


class TransferOut(Schema):
    id: int = Field(..., description="The relay's transfer ID (the state's or the router's).")
    ref: str = Field(..., description="How pages and paths name it: 7, or N7 when national.")
    is_national: bool = Field(..., description="Through the National Records Exchange")
    former_school: str = ""
    side: str = Field(..., description="asked (this district asked) or routed (asked of it)")
    status: str
    state_id: str
    first_name: str
    last_name: str
    birth_date: date
    other_district: str
    other_name: str
    requested_by: str
    requested_at: datetime
    candidates: list[dict[str, Any]]
    reason: str
    answered_at: datetime | None
    expires_at: datetime
    reminded_at: datetime | None
    person_id: int | None
    received_at: datetime | None
    documents: list[TransferDocumentOut]
    prior_enrollments: int


class TransferAskIn(Schema, extra="forbid"):
    enrollment: int | None = Field(
        None, ge=1, le=MAX_ID, description="The student's enrollment here"
    )
    state_id: str = Field("", max_length=10)
    last_name: str = Field("", max_length=60)
    first_name: str = Field("", max_length=60)
    birth_date: date | None = None


class TransferDeclineIn(Schema, extra="forbid"):
    reason: str = Field(..., min_length=1, max_length=1000)


class TransferReceiveIn(Schema, extra="forbid"):
    person: int | None = Field(None, ge=1, le=MAX_ID, description="Match to this person here")
    create: bool = Field(False, description="Create the person, with the state ID, instead")


TRANSFER_ERRORS = {404: ApiErrorOut, 409: ApiErrorOut, 502: ApiErrorOut, **ERRORS}


def transfer_step(request: HttpRequest, action: str, work, transfer: Transfer | None = None):
    """Run one step against whoever relays `transfer` (the state for a new request); its audit
    entry; the transfer as it stands after it. A step refused says why (409); a relay that
    cannot be reached, 502."""
    try:
        with relay_client(transfer, retries=1) if transfer else state_client(retries=1) as client:
            transfers.refresh(client)
            done, detail = work(client)
    except transfers.TransferError as exc:
        raise HttpError(409, str(exc)) from None
    except StateError as exc:
        code = 409 if getattr(exc, "status", None) == 409 else 502
        raise HttpError(code, str(exc)) from None
    audit.record(request, f"transfer.{action}", f"transfer {done.ref}", via="api", **detail)
    return transfers.as_dict(done)


def transfer_or_404(ref: str) -> Transfer:
    found = Transfer.by_ref(ref)
    if found is None:
        raise HttpError(404, f"this district has no transfer {ref}")
    return found


@api.get(
    "/transfers",
    response={200: list[TransferOut], **ERRORS},
    summary="This district's records transfers, asked and routed, newest first",
    description="Needs R on Student Records Transfer.",
)
def transfer_list(request: HttpRequest) -> list[dict]:
    require(request, "transfers", "R")
    transfers.refresh_now()
    return [transfers.as_dict(t) for t in Transfer.objects.all()[:500]]


@api.post(
    "/transfers",
    response={200: TransferOut, **TRANSFER_ERRORS},
    summary="Ask for an incoming student's records",
    description="Needs W on Student Records Transfer. Name the student by enrollment, state "
    "ID, or last name and birth date.",
)
def transfer_request(request: HttpRequest, body: TransferAskIn) -> dict:
    require(request, "transfers", "W")
    by = request.user.get_username()

    def ask(client):
        person = transfers.find_person(
            body.enrollment, body.state_id, body.last_name, body.first_name, body.birth_date
        )
        return transfers.request(client, person, by), {"person": person.pk}

    return transfer_step(request, "request", ask)


@api.post(
    "/transfers/{ref}/release",
    response={200: TransferOut, **TRANSFER_ERRORS},
    summary="Release the records asked for (with the documents attached on its page)",
    description="Needs W on Student Records Transfer, and membership of the group named to "
    "release records where one is.",
)
def transfer_release(request: HttpRequest, ref: str = TransferRef) -> dict:
    require(request, "transfers", "W")
    transfer = transfer_or_404(ref)

    def release(client):
        releases.may_release(request.user)
        done = releases.release(client, transfer, request.user.get_username())
        return done, {"documents": transfer.files.count()}

    return transfer_step(request, "release", release, transfer)


@api.post(
    "/transfers/{ref}/decline",
    response={200: TransferOut, **TRANSFER_ERRORS},
    summary="Decline a request routed here, saying why",
    description="Needs W on Student Records Transfer.",
)
def transfer_decline(request: HttpRequest, body: TransferDeclineIn, ref: str = TransferRef) -> dict:
    require(request, "transfers", "W")
    transfer = transfer_or_404(ref)
    by = request.user.get_username()
    return transfer_step(
        request,
        "decline",
        lambda client: (
            releases.decline(client, transfer, body.reason, by),
            {"reason": body.reason},
        ),
        transfer,
    )


@api.post(
    "/transfers/{ref}/receive",
    response={200: TransferOut, **TRANSFER_ERRORS},
    summary="Take released records in: matched to a person here, or a person created",
    description="Needs W on Student Records Transfer.",
)
def transfer_receive(request: HttpRequest, body: TransferReceiveIn, ref: str = TransferRef) -> dict:
    require(request, "transfers", "W")
    transfer = transfer_or_404(ref)
    if (body.person is None) == (not body.create):
        raise HttpError(400, "give either person (a person ID here) or create: true")
    person = receipts.CREATE if body.create else body.person
    by = request.user.get_username()

    def receive(client):
        done = receipts.receive(client, transfer, person, by)
        return done, {"person": done.person_id}

    return transfer_step(request, "receive", receive, transfer)
