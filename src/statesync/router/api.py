"""The router's API (docs/EXCHANGE.md), for district editions: register with a one-time
registration token, then, with the district's own credential, keep the registration, search
the locator, and ask, answer and receive requests as Student Records Transfer does at the
state. Each call acts for the credential's district and sees only the requests it is a
party to; every step is audited here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Path
from ninja.security import HttpBearer

from statesync.access.audit import record_by_district
from statesync.core import exchange, relaying, transfers
from statesync.core.http.api import ApiProblem, decoded, json_response
from statesync.core.http.jsonapi import JsonApi, json_answer, json_body, ref
from statesync.router import registry
from statesync.router.models import Credential, Member, Transfer

MAX_ID = 2**63 - 1
TRANSFER_ID = Path(..., ge=1, le=MAX_ID)
ERRORS = {
    400: "Malformed JSON or an invalid body or parameter",
    401: "Missing, unknown or revoked credential",
    404: "No such route or request",
    409: "Refused as the detail says",
    413: "Body over the size limit",
}


class MemberCredential(HttpBearer):
    """`Authorization: Bearer <credential>`: the call acts for the credential's district."""

    kind = Credential.CREDENTIAL

    def authenticate(self, request: HttpRequest, token: str) -> Member | None:
        found = Credential.authenticate(token.strip(), self.kind)
        if found is None:
            return None
        found.record_use()
        return found.member


class RegistrationToken(MemberCredential):
    """The one-time token the router's people gave the district, to register with."""

    kind = Credential.REGISTRATION


api = JsonApi(
    title="statesync National Records Exchange router API",
    version="1",
    description="District editions register, find each other and relay records requests. "
    "Bearer credentials belong to one registered district.",
    auth=MemberCredential(),
    token_name="credential",
    urls_namespace="router-api",
    docs_url=None,
    structs=[
        exchange.Registration,
        exchange.Registered,
        exchange.Located,
        exchange.NationalAsk,
        transfers.Decline,
        transfers.Item,
        transfers.Packet,
    ],
)
ITEM = ref("Item")


def answers(ok: str, schema: dict[str, Any], *codes: int) -> dict[str, Any]:
    error = ref("ApiError")
    return {
        "responses": {
            200: json_answer(ok, schema),
            **{code: json_answer(ERRORS[code], error) for code in (401, *codes)},
        }
    }


def member_of(request: HttpRequest) -> Member:
    member = request.auth  # type: ignore[attr-defined]
    assert isinstance(member, Member)
    return member


def refusing(work: Callable[[], Any]) -> Any:
    try:
        return work()
    except relaying.Refused as exc:
        raise ApiProblem(409, "refused", str(exc)) from None


def audited(request: HttpRequest, action: str, target: str, **detail: Any) -> None:
    record_by_district(
        request, member_of(request), action, target, held="router credential", **detail
    )


@api.post(
    "/registration",
    auth=RegistrationToken(),
    operation_id="register",
    url_name="router-register",
    summary="Register (with the one-time registration token): terms accepted, places given",
    description="Answers the registration with the district's credential, shown this once; "
    "the registration token is used up.",
    openapi_extra={
        "requestBody": json_body("Registration"),
        **answers("Registered", ref("Registered"), 400, 409),
    },
)
def register(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    sent = decoded(request, exchange.Registration, "invalid registration")
    credential = refusing(lambda: registry.register(member, sent))
    audited(request, "exchange.register", member.code, places=len(sent.places))
    return json_response(registry.as_registered(member, credential))


@api.get(
    "/registration",
    operation_id="registration",
    url_name="router-registration",
    summary="The district's registration as the router holds it",
    openapi_extra=answers("The registration", ref("Registered")),
)
def registration(request: HttpRequest) -> HttpResponse:
    return json_response(registry.as_registered(member_of(request)))


@api.put(
    "/registration",
    operation_id="updateRegistration",
    url_name="router-registration-update",
    summary="Replace the district's places and contact",
    openapi_extra={
        "requestBody": json_body("Registration"),
        **answers("Updated", ref("Registered"), 400, 409),
    },
)
def update(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    sent = decoded(request, exchange.Registration, "invalid registration")
    refusing(lambda: registry.update(member, sent))
    audited(request, "exchange.update", member.code, places=len(sent.places))
    return json_response(registry.as_registered(member))


@api.post(
    "/registration/rotate",
    operation_id="rotateCredential",
    url_name="router-rotate",
    summary="A new credential for the district; the one that called is revoked",
    openapi_extra=answers("The new credential in `credential`", ref("Registered")),
)
def rotate(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    credential = member.issue(Credential.CREDENTIAL)
    audited(request, "exchange.rotate", member.code)
    return json_response(registry.as_registered(member, credential))


@api.delete(
    "/registration",
    operation_id="withdraw",
    url_name="router-withdraw",
    summary="Withdraw: the district is no longer found, its credential stops working",
    openapi_extra=answers("Withdrawn", ref("Registered")),
)
def withdraw(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    audited(request, "exchange.withdraw", member.code)
    return json_response(registry.as_registered(registry.withdraw(member)))


@api.get(
    "/districts",
    operation_id="locate",
    url_name="router-locate",
    summary="The District Locator: registered districts by name, state, city or ZIP code",
    openapi_extra=answers("At most 50", {"type": "array", "items": ref("Located")}, 400),
)
def locate(request: HttpRequest, q: str = "") -> HttpResponse:
    if not q.strip() or len(q) > 200:
        raise ApiProblem(400, "invalid search", "q: a name, state, city or ZIP code (≤200)")
    return json_response(registry.locate(q, exclude=member_of(request)))


def party(request: HttpRequest, pk: int, as_side: str) -> Transfer:
    """The request, when the credential's district is its `as_side`; 404 otherwise."""
    member = member_of(request)
    found = Transfer.objects.select_related("requesting", "former")
    transfer = found.filter(pk=pk, **{as_side: member}).first()
    if transfer is None:
        raise ApiProblem(404, "no such request", f"district {member.code} has no request {pk}")
    return transfer


def step(request: HttpRequest, transfer: Transfer, work: Callable[[], Any], action: str, **detail):
    found = refusing(work)
    audited(request, action, f"transfer {transfer.pk}", **detail)
    return json_response(found.as_item() if isinstance(found, Transfer) else found)


@api.post(
    "/transfers",
    operation_id="requestRecords",
    url_name="router-transfers",
    summary="Ask a registered district elsewhere for a student's records",
    openapi_extra={
        "requestBody": json_body("NationalAsk"),
        **answers("The request, routed", ITEM, 400, 409, 413),
    },
)
def request_records(request: HttpRequest) -> HttpResponse:
    asked = decoded(request, exchange.NationalAsk, "invalid request")
    transfer = refusing(lambda: registry.ask(member_of(request), asked))
    audited(request, "transfer.request", f"transfer {transfer.pk}", asked_of=asked.district)
    return json_response(transfer.as_item())


@api.get(
    "/transfers",
    operation_id="transfers",
    url_name="router-transfer-list",
    summary="The district's requests: those it made and those asked of it",
    openapi_extra=answers("Newest first", {"type": "array", "items": ITEM}),
)
def transfer_list(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    mine = Transfer.objects.select_related("requesting", "former", "packet")
    both = [*mine.filter(requesting=member)[:500], *mine.filter(former=member)[:500]]
    items = sorted({t.pk: t for t in both}.values(), key=lambda t: -t.pk)
    return json_response([t.as_item() for t in items])


@api.post(
    "/transfers/{id}/release",
    operation_id="releaseTransfer",
    url_name="router-transfer-release",
    summary="Release the student's records to the requester (the district asked)",
    openapi_extra={
        "requestBody": json_body("Packet"),
        **answers("Released", ITEM, 400, 404, 409, 413),
    },
)
def release(request: HttpRequest, id: int = TRANSFER_ID) -> HttpResponse:
    transfer = party(request, id, "former")
    packet = decoded(request, transfers.Packet, "invalid packet")
    documents = [f"{d.kind}: {d.label}" for d in packet.documents]
    work = lambda: relaying.release(transfer, packet)  # noqa: E731
    return step(request, transfer, work, "transfer.release", documents=documents)


@api.post(
    "/transfers/{id}/decline",
    operation_id="declineTransfer",
    url_name="router-transfer-decline",
    summary="Decline a request, saying why (the district asked)",
    openapi_extra={"requestBody": json_body("Decline"), **answers("Declined", ITEM, 400, 404, 409)},
)
def decline(request: HttpRequest, id: int = TRANSFER_ID) -> HttpResponse:
    transfer = party(request, id, "former")
    declined = decoded(request, transfers.Decline, "invalid decline")
    work = lambda: relaying.decline(transfer, declined)  # noqa: E731
    return step(request, transfer, work, "transfer.decline", reason=declined.reason)


@api.get(
    "/transfers/{id}/packet",
    operation_id="transferPacket",
    url_name="router-transfer-packet",
    summary="The released packet, documents included (the requester)",
    openapi_extra=answers("The packet", ref("Packet"), 400, 404, 409),
)
def packet(request: HttpRequest, id: int = TRANSFER_ID) -> HttpResponse:
    transfer = party(request, id, "requesting")
    work = lambda: relaying.packet_of(transfer)  # noqa: E731
    return step(request, transfer, work, "transfer.fetch", documents=transfer.documents_released())


@api.post(
    "/transfers/{id}/received",
    operation_id="transferReceived",
    url_name="router-transfer-received",
    summary="Say the packet was received: the router deletes it (the requester)",
    openapi_extra=answers("Received", ITEM, 400, 404, 409),
)
def received(request: HttpRequest, id: int = TRANSFER_ID) -> HttpResponse:
    transfer = party(request, id, "requesting")
    return step(request, transfer, lambda: relaying.received(transfer), "transfer.received")


@api.post(
    "/transfers/{id}/cancel",
    operation_id="cancelTransfer",
    url_name="router-transfer-cancel",
    summary="Withdraw a request still open (the requester)",
    openapi_extra=answers("Withdrawn", ITEM, 400, 404, 409),
)
def cancel(request: HttpRequest, id: int = TRANSFER_ID) -> HttpResponse:
    transfer = party(request, id, "requesting")
    return step(request, transfer, lambda: relaying.cancel(transfer), "transfer.cancel")
