"""Student Records Transfer through the state API (docs/TRANSFERS.md): a district asks for a
student's records, chooses among former districts, answers a request routed to it, fetches a
released packet and says it has it. Each call acts for the token's district and sees only the
transfers it is a party to."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import Path

from statesync.access.audit import record_by_district
from statesync.core import relaying as relay
from statesync.core import transfers as wire
from statesync.core.http.api import ApiProblem, json_response
from statesync.core.http.jsonapi import json_body, ref
from statesync.state.api.auth import get_district
from statesync.state.api.base import MAX_ID, NUMBER, answers, api, decoded
from statesync.state.models.transfers import Transfer
from statesync.state.transfers import routing

BASE = "/districts/{number}/transfers"
TRANSFER_ID = Path(..., ge=1, le=MAX_ID)
ITEM = ref("Item")


def party(request: HttpRequest, pk: int, as_side: str) -> Transfer:
    """The transfer, when the token's district is its `as_side` ("requesting" or "former");
    404 otherwise (another district's transfer is not there at all)."""
    district = get_district(request)
    found = Transfer.objects.select_related("requesting", "former").filter(
        pk=pk, **{as_side: district}
    )
    transfer = found.first()
    if transfer is None:
        raise ApiProblem(
            404, "no such transfer", f"district {district.number} has no transfer {pk}"
        )
    return transfer


def record_api(request: HttpRequest, action: str, target: str, **detail) -> None:
    record_by_district(request, get_district(request), action, target, **detail)


def step(
    request: HttpRequest, transfer: Transfer, work: Callable[[], object], action: str, **detail
) -> HttpResponse:
    """Carry out one step of `transfer` (a refusal is a 409 that says why), audit it, and
    answer with what the step gives: the transfer as it stands, or the packet."""
    try:
        found = work()
    except relay.Refused as exc:
        raise ApiProblem(409, "refused", str(exc)) from None
    record_api(request, action, f"transfer {transfer.pk}", **detail)
    return json_response(found.as_item() if isinstance(found, Transfer) else found)


@api.post(
    BASE,
    operation_id="requestRecords",
    url_name="api-transfer-request",
    summary="Ask for a student's records, by the student's state ID",
    description="Refused (409, saying why) unless the asking district's copy at the state "
    "holds the person with that state ID and an enrollment of theirs. Routed at once when "
    "one former district is found; otherwise `candidates` lists them to choose from.",
    openapi_extra={"requestBody": json_body("Ask"), **answers("The request", ITEM, 400, 409, 413)},
)
def request_records(request: HttpRequest, number: str = NUMBER) -> HttpResponse:
    district = get_district(request)
    asked = decoded(request, wire.Ask, "invalid request")
    try:
        transfer = routing.ask(district, asked)
    except relay.Refused as exc:
        raise ApiProblem(409, "refused", str(exc)) from None
    record_api(request, "transfer.request", f"transfer {transfer.pk}", state_id=asked.state_id)
    return json_response(transfer.as_item())


@api.get(
    BASE,
    operation_id="transfers",
    url_name="api-transfers",
    summary="The district's transfers: those it asked for and those routed to it",
    openapi_extra=answers("Newest first", {"type": "array", "items": ITEM}, 400),
)
def transfers(request: HttpRequest, number: str = NUMBER) -> HttpResponse:
    district = get_district(request)
    mine = Transfer.objects.select_related("requesting", "former", "packet")
    asked = mine.filter(requesting=district)[:500]
    routed = mine.filter(former=district)[:500]
    items = sorted({t.pk: t for t in [*asked, *routed]}.values(), key=lambda t: -t.pk)
    return json_response([t.as_item() for t in items])


@api.post(
    f"{BASE}/{{id}}/route",
    operation_id="routeTransfer",
    url_name="api-transfer-route",
    summary="Choose the former district among those the state found",
    openapi_extra={"requestBody": json_body("Route"), **answers("Routed", ITEM, 400, 404, 409)},
)
def route(request: HttpRequest, id: int = TRANSFER_ID, number: str = NUMBER) -> HttpResponse:
    transfer = party(request, id, "requesting")
    chosen = decoded(request, wire.Route, "invalid choice")
    return step(
        request,
        transfer,
        lambda: routing.choose(transfer, chosen.district),
        "transfer.route",
        district=chosen.district,
    )


@api.post(
    f"{BASE}/{{id}}/release",
    operation_id="releaseTransfer",
    url_name="api-transfer-release",
    summary="Release the student's records to the requester (the former district)",
    openapi_extra={
        "requestBody": json_body("Packet"),
        **answers("Released", ITEM, 400, 404, 409, 413),
    },
)
def release(request: HttpRequest, id: int = TRANSFER_ID, number: str = NUMBER) -> HttpResponse:
    transfer = party(request, id, "former")
    packet = decoded(request, wire.Packet, "invalid packet")
    documents = [f"{d.kind}: {d.label}" for d in packet.documents]
    return step(
        request,
        transfer,
        lambda: relay.release(transfer, packet),
        "transfer.release",
        by=packet.released_by,
        documents=documents,
    )


@api.post(
    f"{BASE}/{{id}}/decline",
    operation_id="declineTransfer",
    url_name="api-transfer-decline",
    summary="Decline a request, saying why (the former district)",
    openapi_extra={"requestBody": json_body("Decline"), **answers("Declined", ITEM, 400, 404, 409)},
)
def decline(request: HttpRequest, id: int = TRANSFER_ID, number: str = NUMBER) -> HttpResponse:
    transfer = party(request, id, "former")
    declined = decoded(request, wire.Decline, "invalid decline")
    return step(
        request,
        transfer,
        lambda: relay.decline(transfer, declined),
        "transfer.decline",
        reason=declined.reason,
    )


@api.get(
    f"{BASE}/{{id}}/packet",
    operation_id="transferPacket",
    url_name="api-transfer-packet",
    summary="The released packet, documents included (the requester)",
    openapi_extra=answers("The packet", ref("Packet"), 400, 404, 409),
)
def packet(request: HttpRequest, id: int = TRANSFER_ID, number: str = NUMBER) -> HttpResponse:
    transfer = party(request, id, "requesting")
    documents = len(transfer.packet.documents) if transfer.status == "released" else 0
    return step(
        request, transfer, lambda: relay.packet_of(transfer), "transfer.fetch", documents=documents
    )


@api.post(
    f"{BASE}/{{id}}/received",
    operation_id="transferReceived",
    url_name="api-transfer-received",
    summary="Say the packet was received: the state deletes it (the requester)",
    openapi_extra=answers("Received", ITEM, 400, 404, 409),
)
def received(request: HttpRequest, id: int = TRANSFER_ID, number: str = NUMBER) -> HttpResponse:
    transfer = party(request, id, "requesting")
    return step(request, transfer, lambda: relay.received(transfer), "transfer.received")


@api.post(
    f"{BASE}/{{id}}/cancel",
    operation_id="cancelTransfer",
    url_name="api-transfer-cancel",
    summary="Withdraw a request still open (the requester)",
    openapi_extra=answers("Withdrawn", ITEM, 400, 404, 409),
)
def cancel(request: HttpRequest, id: int = TRANSFER_ID, number: str = NUMBER) -> HttpResponse:
    transfer = party(request, id, "requesting")
    return step(request, transfer, lambda: relay.cancel(transfer), "transfer.cancel")
