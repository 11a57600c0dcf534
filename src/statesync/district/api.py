"""The district API for automation (DESIGN.md §10's actions over HTTP), with personal tokens.

A token acts as its user, with exactly that user's tool rights, checked on every call.
"""

from __future__ import annotations

import msgspec
from django.http import HttpRequest, HttpResponse

from statesync import catalog
from statesync.access.models import PersonalToken
from statesync.access.rights import has_right, right_label
from statesync.district import actions
from statesync.district.models import ErrorLogEntry, Run
from statesync.modes import Mode
from statesync.sync import plan, selective
from statesync.web.api import ApiProblem, api_view, int_param, json_response, read_body


class ResyncBody(msgspec.Struct, forbid_unknown_fields=True):
    objects: list[str]
    mode: str = Mode.DIFFERENTIAL.value
    check_dependencies: bool = False


class SelectiveBody(msgspec.Struct, forbid_unknown_fields=True):
    object: str
    ids: str | list[int]


def authenticate(request: HttpRequest, slug: str, letter: str):
    """The token's user, who must hold `letter` on tool `slug`."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "missing token", "send 'Authorization: Bearer <personal token>'")
    user = PersonalToken.authenticate(secret.strip())
    if user is None:
        raise ApiProblem(401, "invalid token", "the token is unknown or revoked")
    if not has_right(user, slug, letter):
        raise ApiProblem(403, "forbidden", f"you need {right_label(slug, letter)}")
    request.user = user
    return user


def decode(request: HttpRequest, kind: type):
    try:
        return msgspec.json.decode(read_body(request), type=kind)
    except msgspec.ValidationError as exc:
        raise ApiProblem(400, "invalid request", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ApiProblem(400, "malformed JSON", str(exc)) from None


@api_view("POST")
def start_resync(request: HttpRequest) -> HttpResponse:
    authenticate(request, "batch", "R")
    body = decode(request, ResyncBody)
    try:
        run = actions.start_resync(
            request, body.objects, body.mode, body.check_dependencies, via="api"
        )
    except (plan.PlanError, catalog.UnknownObject) as exc:
        raise ApiProblem(400, "invalid request", str(exc)) from None
    return json_response(run.result(), status=202)


def _run(pk: int) -> Run:
    run = Run.objects.filter(pk=pk).first()
    if run is None:
        raise ApiProblem(404, "no such run", f"there is no run {pk}")
    return run


@api_view("GET")
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    authenticate(request, "batch", "R")
    return json_response(_run(pk).result())


@api_view("GET")
def run_errors(request: HttpRequest, pk: int) -> HttpResponse:
    authenticate(request, "errorlog", "R")
    run = _run(pk)
    limit = int_param(request, "limit", 1000, 1, 10_000)
    after = int_param(request, "after", 0, 0, 2**63 - 1)
    entries = list(ErrorLogEntry.objects.filter(run=run, pk__gt=after).order_by("pk")[:limit])
    return json_response(
        {
            "run": run.pk,
            "errors": [e.as_dict() for e in entries],
            "next_after": entries[-1].pk if len(entries) == limit else None,
        }
    )


@api_view("POST")
def selective_sync(request: HttpRequest) -> HttpResponse:
    authenticate(request, "selective", "W")
    body = decode(request, SelectiveBody)
    if body.object not in selective.OBJECTS:
        raise ApiProblem(
            400, "invalid request", f"object must be one of {', '.join(selective.OBJECTS)}"
        )
    text = body.ids if isinstance(body.ids, str) else " ".join(str(i) for i in body.ids)
    try:
        parsed = selective.parse_ids(text)
    except selective.SelectionError as exc:
        raise ApiProblem(413, "too many IDs", str(exc)) from None
    if not parsed.ids:
        raise ApiProblem(400, "no IDs", "IDs are whole numbers; none were found")
    entry = actions.start_selective_sync(request, body.object, parsed, via="api")
    return json_response(entry.as_dict(), status=200 if entry.status != "pending" else 202)


@api_view("GET")
def selective_status(request: HttpRequest, pk: int) -> HttpResponse:
    authenticate(request, "selective", "R")
    from statesync.district.models import SelectiveSync

    entry = SelectiveSync.objects.filter(pk=pk).first()
    if entry is None:
        raise ApiProblem(404, "no such sync", f"there is no selective sync {pk}")
    return json_response(entry.as_dict())
