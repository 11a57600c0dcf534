"""The state's ingest API (docs/DESIGN.md §5): one district's token, one district's data.

Every failure is a JSON error with a 4xx status that says what was wrong; nothing is written
unless the whole batch was read and its district matched the token. The district's token is
declared once (`DistrictToken`); bodies are the wire's msgspec structs, decoded here from the
raw body (a batch's decoding speed is measured), and django-ninja generates the OpenAPI
document with their schemas.
"""

from __future__ import annotations

import logging

from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Query

from statesync.core import catalog, handoff, wire
from statesync.core.db import sqlin
from statesync.core.db.routers import state_db
from statesync.core.http.api import ApiProblem, json_response, read_body
from statesync.core.http.jsonapi import json_body, ref
from statesync.state.api.auth import get_district
from statesync.state.api.base import (
    BATCH_TYPES,
    MAX_ID,
    NUMBER,
    answers,
    api,
    decoded,
    decoding,
)
from statesync.state.ingest import apply as ingest
from statesync.state.ingest import copies, received
from statesync.state.models import (
    DistrictYear,
    DownChange,
    FieldSetting,
    IdentityWork,
    ResyncRequest,
)
from statesync.state.models.messages import Origin

log = logging.getLogger(__name__)
MAX_DIGEST_PAGE = 50_000


@api.get(
    "/districts/{number}/",
    operation_id="whoami",
    url_name="api-whoami",
    summary="Which district the token acts for",
    openapi_extra=answers("The district", ref("WhoAmI"), 400),
)
def whoami(request: HttpRequest, number: str = NUMBER) -> HttpResponse:
    tenant = get_district(request)
    return json_response(wire.WhoAmI(district=tenant.number, name=tenant.name))


# The three operations of each object: a batch in, its digests and its copies out.


def object_operations(obj: catalog.DisObject) -> None:
    base = f"/districts/{{number}}/objects/{obj.name}"
    batch_type = BATCH_TYPES[obj.name].__name__

    @api.post(
        f"{base}/batch",
        operation_id=f"batch{obj.name}",
        url_name=f"api-batch-{obj.name}",
        summary=f"Upsert and delete {obj.name} records",
        description=f"{obj.description} Idempotent: the same batch twice changes nothing the "
        "second time. Each rejected record comes back with its errors. A record may also be "
        f"an array in this column order: [{', '.join(obj.columns)}].",
        openapi_extra={
            "requestBody": json_body(batch_type),
            **answers("Counts and rejections", ref("BatchResult"), 400, 413),
        },
    )
    def batch(request: HttpRequest, number: str = NUMBER) -> HttpResponse:
        return receive_batch(request, obj)

    @api.get(
        f"{base}/digest",
        operation_id=f"digest{obj.name}",
        url_name=f"api-digest-{obj.name}",
        summary=f"Digests of the {obj.name} records the state accepted, in ID order",
        openapi_extra=answers("A page of [id, digest]", ref("DigestPage"), 400),
    )
    def digests(
        request: HttpRequest,
        number: str = NUMBER,
        school_year: int | None = Query(
            None, ge=2000, le=2100, description="School end year (year-scoped objects)"
        ),
        after: int = Query(0, ge=-MAX_ID - 1, le=MAX_ID, description="Only IDs greater"),
        limit: int = Query(10_000, ge=1, le=MAX_DIGEST_PAGE, description="Page size"),
    ) -> HttpResponse:
        tenant = get_district(request)
        page = copies.digest_page(state_db(), obj, tenant.id, school_year, after, limit)
        return json_response(page)

    @api.get(
        f"{base}/records",
        operation_id=f"records{obj.name}",
        url_name=f"api-records-{obj.name}",
        summary=f"The state's accepted copies of some {obj.name} records",
        description="Each as {column: value}, in ID order; IDs the state does not hold are "
        "left out.",
        openapi_extra=answers("The records held", ref("RecordPage"), 400),
    )
    def records(
        request: HttpRequest,
        number: str = NUMBER,
        ids: str = Query(
            ...,
            pattern="^[0-9]+(,[0-9]+)*$",
            description=f"1 to {wire.MAX_RECORDS:,} record IDs, comma-separated",
        ),
    ) -> HttpResponse:
        tenant = get_district(request)
        return json_response(copies.held_records(state_db(), obj, tenant.id, record_ids(ids)))


def receive_batch(request: HttpRequest, obj: catalog.DisObject) -> HttpResponse:
    tenant = get_district(request)
    body = read_body(request)
    envelope, records, failures = decoding(
        body, lambda raw: wire.decode_batch(obj.name, raw), "invalid batch"
    )
    unnamed = [f for f in failures if f.id is None]
    if unnamed:
        raise ApiProblem(400, "invalid batch", f"a record has no integer id: {unnamed[0].message}")
    result = ingest.apply_batch(tenant, obj, envelope, records, failures)
    return json_response(result)


def record_ids(text: str) -> list[int]:
    """The IDs of a `?ids=` list (digits and commas, as its pattern says), or a 400."""
    parts = text.split(",")
    if len(parts) > wire.MAX_RECORDS:
        raise ApiProblem(
            400, "bad ids", f"ids is 1 to {wire.MAX_RECORDS:,} record IDs separated by commas"
        )
    ids = [int(part) for part in parts]
    for value in ids:
        if not 0 < value <= MAX_ID:
            raise ApiProblem(400, "bad ids", f"{value} is not a record ID (1 to {MAX_ID})")
    return ids


for _obj in catalog.OBJECTS.values():
    object_operations(_obj)


# What the state hands a district's worker: resync requests, and the values it owns.


@api.get(
    "/districts/{number}/resync-requests",
    operation_id="resyncRequests",
    url_name="api-resync-requests",
    summary="Resync requests the state made of this district, not yet picked up",
    openapi_extra=answers(
        "Pending requests, oldest first", {"type": "array", "items": ref("ResyncRequestItem")}
    ),
)
def resync_requests(request: HttpRequest, number: str = NUMBER) -> HttpResponse:
    tenant = get_district(request)
    pending = ResyncRequest.objects.filter(district=tenant, claimed_at__isnull=True).order_by("pk")
    return json_response([r.as_item() for r in pending[:100]])


@api.post(
    "/districts/{number}/resync-requests/{id}/claim",
    operation_id="claimResyncRequest",
    url_name="api-resync-claim",
    summary="Take a resync request (once); optionally name the district's run",
    openapi_extra={
        "requestBody": json_body("Claim", required=False),
        **answers("Claimed", ref("ResyncRequestItem"), 400, 404, 409, 413),
    },
)
def claim_resync_request(
    request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID), number: str = NUMBER
) -> HttpResponse:
    tenant = get_district(request)
    claim = decoded(request, handoff.Claim, "invalid claim", empty=b"{}")
    found = ResyncRequest.objects.filter(district=tenant, pk=id).first()
    if found is None:
        raise ApiProblem(404, "no such request", f"district {number} has no resync request {id}")
    taken = ResyncRequest.objects.filter(pk=id, claimed_at__isnull=True).update(
        claimed_at=timezone.now(), district_run=claim.run
    )
    if not taken:
        raise ApiProblem(409, "already claimed", f"request {id} was picked up already")
    found.refresh_from_db()
    what = ", ".join(found.objects_requested)[:40]
    received.record_exchange(state_db(), tenant, Origin.REQUEST, what, 0, ref=found.pk)
    return json_response(found.as_item())


@api.get(
    "/districts/{number}/changes",
    operation_id="downChanges",
    url_name="api-down-changes",
    summary="The state's values for this district not yet applied, oldest first",
    description="State IDs given and state-owned fields changed at the state, for the "
    "district's worker to write into its own database in order, and the fields the state "
    "owns now. An item with an empty field is a notice (a cross-district conflict, or an "
    "enrollment rejected after acceptance); `awaiting_identity` counts the district's records "
    "the state's identity resolver has yet to settle.",
    openapi_extra=answers("Pending changes and the state-owned fields", ref("DownChanges"), 400),
)
def down_changes(
    request: HttpRequest,
    number: str = NUMBER,
    limit: int | None = Query(
        None, ge=1, le=handoff.MAX_DOWN_CHANGES, description="At most this many (the page)"
    ),
    after: int = Query(0, ge=0, le=MAX_ID, description="Only changes with a greater ID"),
) -> HttpResponse:
    """The state's values for this district not yet applied (after change `after`, so the
    district can ask for the next page while it applies this one), and the fields it owns."""
    tenant = get_district(request)
    # The page is read now, not when the module was: it is a setting of the state's.
    limit = min(limit or handoff.MAX_DOWN_CHANGES, handoff.MAX_DOWN_CHANGES)
    # Counted first: what the resolver settled before this is in the page (or an earlier one).
    awaiting = IdentityWork.pending(state_db(), tenant.pk)
    items = DownChange.feed(state_db(), tenant, limit, after)
    owned = sorted([o, f] for o, f in FieldSetting.state_owned(state_db()))
    feed = handoff.DownChanges(items=items, state_owned=owned, awaiting_identity=awaiting)
    return json_response(feed)


@api.post(
    "/districts/{number}/changes/applied",
    operation_id="downChangesApplied",
    url_name="api-down-changes-applied",
    summary="Say the district applied the changes in `ids` (or, without `ids`, every change "
    "up to `through`)",
    openapi_extra={
        "requestBody": json_body("Applied"),
        **answers("How many changes this marked applied", ref("AppliedResult"), 400, 413),
    },
)
def down_changes_applied(request: HttpRequest, number: str = NUMBER) -> HttpResponse:
    """The district applied its changes up to `through`, or those of `ids` (saying so twice
    changes nothing)."""
    tenant = get_district(request)
    applied = decoded(request, handoff.Applied, "invalid acknowledgement")
    done = DownChange.objects.using(state_db()).filter(
        district=tenant, applied_at=None, pk__lte=applied.through
    )
    if applied.ids is not None:
        done = done.filter(pk__in=sqlin.among(connections[state_db()], applied.ids))
    count = done.update(applied_at=timezone.now())
    if count:
        received.record_exchange(state_db(), tenant, Origin.DOWN, "changes applied", count)
    return json_response(handoff.AppliedResult(applied=count))


@api.put(
    "/districts/{number}/years/{year}",
    operation_id="reportYear",
    url_name="api-year-report",
    summary="Report one school year: scoped or not, its mandatory resyncs, last verify",
    description="Replaces what the district said of that year before; the state's Year "
    "Status and Verification Summary show it.",
    openapi_extra={
        "requestBody": json_body("YearReport"),
        **answers("The report as kept", ref("YearReport"), 400, 404, 413),
    },
)
def year_report(
    request: HttpRequest,
    year: int = Path(..., ge=2000, le=2100, description="School end year (2024 = 2023-2024)"),
    number: str = NUMBER,
) -> HttpResponse:
    """The district's word on one school year: replaces what it said of that year before."""
    tenant = get_district(request)
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
