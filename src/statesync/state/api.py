"""The state's ingest API (DESIGN.md §5): one district's token, one district's data.

Every failure is a JSON error with a 4xx status that says what was wrong; nothing is written
unless the whole batch was read and its district matched the token.
"""

from __future__ import annotations

import functools
import logging

import msgspec
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from statesync import catalog, wire
from statesync.routers import state_db
from statesync.state import ingest
from statesync.state.models import ApiToken, District, ResyncRequest
from statesync.state.openapi import Claim, document

log = logging.getLogger(__name__)
MAX_DIGEST_PAGE = 50_000


class ApiProblem(Exception):
    """An answer other than success: status, a short error, and what to do about it."""

    def __init__(self, status: int, error: str, detail: str = ""):
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


def json_response(payload, status: int = 200) -> HttpResponse:
    return HttpResponse(wire.encode(payload), status=status, content_type="application/json")


def api_view(*methods: str):
    """Wrap a view: method check, ApiProblem → JSON error, no CSRF (bearer tokens, no cookies)."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiProblem(
                        405, "method not allowed", f"use {' or '.join(methods)} on this URL"
                    )
                return view(request, *args, **kwargs)
            except ApiProblem as problem:
                response = json_response(
                    wire.ApiError(problem.error, problem.detail), problem.status
                )
                if problem.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="statesync"'
                if problem.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response

        return wrapper

    return decorate


def authenticate(request: HttpRequest, number: str) -> District:
    """The district that the bearer token acts for, which must be the one in the URL."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "missing token", "send 'Authorization: Bearer <token>'")
    api_token = ApiToken.authenticate(token.strip())
    if api_token is None:
        raise ApiProblem(401, "invalid token", "the token is unknown or revoked")
    if api_token.district.number != number:
        raise ApiProblem(
            403,
            "forbidden",
            f"this token belongs to district {api_token.district.number}, not district {number}",
        )
    ApiToken.objects.using(state_db()).filter(pk=api_token.pk).update(last_used_at=timezone.now())
    return api_token.district


def dis_object(name: str) -> catalog.DisObject:
    try:
        return catalog.get(name)
    except catalog.UnknownObject as exc:
        raise ApiProblem(404, "unknown object", str(exc)) from None


def read_body(request: HttpRequest) -> bytes:
    """The request body, refused before reading when it is over the limit."""
    limit = settings.STATE_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiProblem(400, "bad Content-Length", "Content-Length must be a number") from None
    if length > limit:
        raise ApiProblem(413, "payload too large", f"{length} bytes; the limit is {limit} bytes")
    try:
        return request.body
    except RequestDataTooBig:
        raise ApiProblem(413, "payload too large", f"the limit is {limit} bytes") from None


@api_view("POST")
def batch(request: HttpRequest, number: str, name: str) -> HttpResponse:
    tenant = authenticate(request, number)
    obj = dis_object(name)
    body = read_body(request)
    try:
        envelope, records, failures = wire.decode_batch(obj.name, body)
    except msgspec.ValidationError as exc:  # a DecodeError too: test it first
        raise ApiProblem(400, "invalid batch", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ApiProblem(400, "malformed JSON", str(exc)) from None
    except RecursionError:
        raise ApiProblem(400, "invalid batch", "the JSON is nested too deeply") from None
    unnamed = [f for f in failures if f.id is None]
    if unnamed:
        raise ApiProblem(400, "invalid batch", f"a record has no integer id: {unnamed[0].message}")
    result = ingest.apply_batch(tenant, obj.name, envelope, records, failures)
    return json_response(result)


def _int_param(request: HttpRequest, name: str, default: int | None, low: int, high: int):
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiProblem(400, f"bad {name}", f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ApiProblem(400, f"bad {name}", f"{name}={value} is outside {low}..{high}")
    return value


@api_view("GET")
def digests(request: HttpRequest, number: str, name: str) -> HttpResponse:
    tenant = authenticate(request, number)
    obj = dis_object(name)
    school_year = _int_param(request, "school_year", None, 2000, 2100)
    after = _int_param(request, "after", 0, -(2**63), 2**63 - 1)
    limit = _int_param(request, "limit", 10_000, 1, MAX_DIGEST_PAGE)
    return json_response(ingest.digest_page(tenant, obj.name, school_year, after, limit))


@api_view("GET")
def whoami(request: HttpRequest, number: str) -> HttpResponse:
    tenant = authenticate(request, number)
    return json_response({"district": tenant.number, "name": tenant.name})


def openapi(request: HttpRequest) -> HttpResponse:
    return json_response(document())


@api_view("GET")
def resync_requests(request: HttpRequest, number: str) -> HttpResponse:
    tenant = authenticate(request, number)
    pending = ResyncRequest.objects.filter(district=tenant, claimed_at__isnull=True).order_by("pk")
    return json_response([r.as_dict() for r in pending[:100]])


@api_view("POST")
def claim_resync_request(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    tenant = authenticate(request, number)
    body = read_body(request)
    try:
        claim = msgspec.json.decode(body or b"{}", type=Claim)
    except msgspec.DecodeError as exc:  # ValidationError included
        raise ApiProblem(400, "invalid claim", str(exc)) from None
    found = ResyncRequest.objects.filter(district=tenant, pk=pk).first()
    if found is None:
        raise ApiProblem(404, "no such request", f"district {number} has no resync request {pk}")
    taken = ResyncRequest.objects.filter(pk=pk, claimed_at__isnull=True).update(
        claimed_at=timezone.now(), district_run=claim.run
    )
    if not taken:
        raise ApiProblem(409, "already claimed", f"request {pk} was picked up already")
    found.refresh_from_db()
    return json_response(found.as_dict())
