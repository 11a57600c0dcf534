"""The state's ingest API (docs/DESIGN.md §5): one district's token, one district's data.

Every failure is a JSON error with a 4xx status that says what was wrong; nothing is written
unless the whole batch was read and its district matched the token.
"""

from __future__ import annotations

import datetime
import logging
from typing import TypeVar

import msgspec
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from statesync.core import catalog, handoff, wire
from statesync.core.db import sqlin
from statesync.core.db.routers import state_db
from statesync.core.http.api import (
    ApiProblem,
    api_view,
    int_param,
    json_response,
    malformed,
    read_body,
)
from statesync.state.api.openapi import document
from statesync.state.ingest import apply as ingest
from statesync.state.ingest import copies
from statesync.state.models import (
    ApiToken,
    District,
    DistrictYear,
    DownChange,
    FieldSetting,
    ResyncRequest,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_DIGEST_PAGE = 50_000
LAST_USE_EVERY = datetime.timedelta(minutes=1)  # how fresh a token's "last used" is kept


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
    now = timezone.now()
    # At most one write a minute per token: a write on every call would make each read (a
    # digest page, a poll for requests) a writer, and SQLite takes one writer at a time.
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USE_EVERY:
        ApiToken.objects.using(state_db()).filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.district


def decoded(request: HttpRequest, kind: type[T], invalid: str, empty: bytes = b"") -> T:
    """The request's JSON body as `kind`, or a 400: `invalid` with why, or malformed JSON."""
    body = read_body(request) or empty
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:  # a DecodeError too: test it first
        raise ApiProblem(400, invalid, str(exc)) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise malformed(body, exc) from None


def dis_object(name: str) -> catalog.DisObject:
    try:
        return catalog.get(name)
    except catalog.UnknownObject as exc:
        raise ApiProblem(404, "unknown object", str(exc)) from None


@api_view("POST")
def batch(request: HttpRequest, number: str, name: str) -> HttpResponse:
    tenant = authenticate(request, number)
    obj = dis_object(name)
    body = read_body(request)
    try:
        envelope, records, failures = wire.decode_batch(obj.name, body)
    except msgspec.ValidationError as exc:  # a DecodeError too: test it first
        raise ApiProblem(400, "invalid batch", str(exc)) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise malformed(body, exc) from None
    except RecursionError:
        raise ApiProblem(400, "invalid batch", "the JSON is nested too deeply") from None
    unnamed = [f for f in failures if f.id is None]
    if unnamed:
        raise ApiProblem(400, "invalid batch", f"a record has no integer id: {unnamed[0].message}")
    result = ingest.apply_batch(tenant, obj, envelope, records, failures)
    return json_response(result)


@api_view("GET")
def digests(request: HttpRequest, number: str, name: str) -> HttpResponse:
    tenant = authenticate(request, number)
    obj = dis_object(name)
    school_year = int_param(request, "school_year", None, 2000, 2100)
    after = int_param(request, "after", 0, -(2**63), 2**63 - 1)
    limit = int_param(request, "limit", 10_000, 1, MAX_DIGEST_PAGE)
    page = copies.digest_page(state_db(), obj, tenant.id, school_year, after, limit)
    return json_response(page)


@api_view("GET")
def records(request: HttpRequest, number: str, name: str) -> HttpResponse:
    tenant = authenticate(request, number)
    obj = dis_object(name)
    raw = request.GET.get("ids", "")
    parts = [p for p in raw.split(",") if p.strip()]
    if not parts or len(parts) > wire.MAX_RECORDS:
        raise ApiProblem(
            400, "bad ids", f"ids is 1 to {wire.MAX_RECORDS:,} record IDs separated by commas"
        )
    ids = []
    for part in parts:
        text = part.strip()
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
            raise ApiProblem(400, "bad ids", f"{text[:40]!r} is not a record ID")
        ids.append(int(text))
    return json_response(copies.held_records(state_db(), obj, tenant.id, ids))


@api_view("GET")
def whoami(request: HttpRequest, number: str) -> HttpResponse:
    tenant = authenticate(request, number)
    return json_response(wire.WhoAmI(district=tenant.number, name=tenant.name))


def openapi(request: HttpRequest) -> HttpResponse:
    return json_response(document())


@api_view("GET")
def resync_requests(request: HttpRequest, number: str) -> HttpResponse:
    tenant = authenticate(request, number)
    pending = ResyncRequest.objects.filter(district=tenant, claimed_at__isnull=True).order_by("pk")
    return json_response([r.as_item() for r in pending[:100]])


@api_view("POST")
def claim_resync_request(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    tenant = authenticate(request, number)
    claim = decoded(request, handoff.Claim, "invalid claim", empty=b"{}")
    found = ResyncRequest.objects.filter(district=tenant, pk=pk).first()
    if found is None:
        raise ApiProblem(404, "no such request", f"district {number} has no resync request {pk}")
    taken = ResyncRequest.objects.filter(pk=pk, claimed_at__isnull=True).update(
        claimed_at=timezone.now(), district_run=claim.run
    )
    if not taken:
        raise ApiProblem(409, "already claimed", f"request {pk} was picked up already")
    found.refresh_from_db()
    return json_response(found.as_item())


@api_view("GET")
def down_changes(request: HttpRequest, number: str) -> HttpResponse:
    """The state's values for this district not yet applied (after change `after`, so the
    district can ask for the next page while it applies this one), and the fields it owns."""
    tenant = authenticate(request, number)
    limit = int_param(request, "limit", handoff.MAX_DOWN_CHANGES, 1, handoff.MAX_DOWN_CHANGES)
    after = int_param(request, "after", 0, 0, 2**63 - 1)
    items = DownChange.feed(state_db(), tenant, limit, after)
    owned = sorted([o, f] for o, f in FieldSetting.state_owned(state_db()))
    return json_response(handoff.DownChanges(items=items, state_owned=owned))


@api_view("POST")
def down_changes_applied(request: HttpRequest, number: str) -> HttpResponse:
    """The district applied its changes up to `through`, or those of `ids` (saying so twice
    changes nothing)."""
    tenant = authenticate(request, number)
    applied = decoded(request, handoff.Applied, "invalid acknowledgement")
    done = DownChange.objects.using(state_db()).filter(
        district=tenant, applied_at=None, pk__lte=applied.through
    )
    if applied.ids is not None:
        done = done.filter(pk__in=sqlin.among(connections[state_db()], applied.ids))
    return json_response(handoff.AppliedResult(applied=done.update(applied_at=timezone.now())))


@api_view("PUT")
def year_report(request: HttpRequest, number: str, year: int) -> HttpResponse:
    """The district's word on one school year: replaces what it said of that year before."""
    tenant = authenticate(request, number)
    report = decoded(request, wire.YearReport, "invalid year report")
    if report.school_year != year:
        raise ApiProblem(
            400,
            "wrong year",
            f"the URL names school year {year} but the report is for {report.school_year}",
        )
    runs = (report.end_of_year, report.start_of_year, report.last_verify)
    for summary in (o for run in runs if run is not None for o in run.objects):
        if summary.object not in catalog.NAMES:
            raise ApiProblem(
                400, "invalid year report", f"{summary.object!r} is not an object the state takes"
            )
    DistrictYear.take(tenant, report)
    return json_response(report)
