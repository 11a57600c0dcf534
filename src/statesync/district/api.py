"""The district API for automation (docs/DESIGN.md §10's actions over HTTP), with personal tokens.

A token acts as its user, with exactly that user's tool rights, checked on every call. The
OpenAPI document (`openapi.json`) is generated from these schemas by django-ninja.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.db import models
from django.http import HttpRequest
from ninja import Field, Path, Query, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from statesync.access.models import PersonalToken
from statesync.access.rights import has_right, right_label
from statesync.core import catalog
from statesync.core.http.jsonapi import ApiErrorOut, JsonApi
from statesync.core.modes import Mode
from statesync.district.models import ErrorLogEntry, Run, SelectiveSync
from statesync.district.services import actions, selective

MAX_ID = 2**63 - 1
RecordId = Path(..., ge=1, le=MAX_ID)


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
