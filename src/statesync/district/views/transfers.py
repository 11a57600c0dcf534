"""Student Records Transfer: the district's requests and inbox, one transfer's page (answer,
receive), and its documents, each action checked, audited and said back."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog, privatefiles
from statesync.core import transfers as wire
from statesync.core.idlists import one_id
from statesync.core.sync.client import StateError
from statesync.district.models import Side, Transfer, dis_model
from statesync.district.services import receipts, releases, transfers
from statesync.district.services.dis import relay_client, state_client, with_the_router
from statesync.district.services.transfers import TransferError

LISTED = 100


def _refreshed(request) -> None:
    """What the state says now; the page shows what was last known if it cannot be asked."""
    try:
        with state_client(retries=0) as client:
            transfers.refresh(client)
    except StateError as exc:
        messages.warning(request, f"Showing what the state last said: {exc}")
    with_the_router(lambda client: len(transfers.refresh(client)), "fetch national requests")


def _transfer(ref: str) -> Transfer:
    """The transfer `ref` names (7, or N7 for a national one), or a 404."""
    transfer = Transfer.by_ref(ref)
    if transfer is None:
        raise Http404(f"there is no records request {ref!r} here")
    return transfer


@requires_right("transfers", "R")
def transfer_list(request):
    _refreshed(request)
    found = Transfer.objects.all()
    return render(
        request,
        "district/transfers.html",
        {
            "asked": found.filter(side=Side.ASKED)[:LISTED],
            "inbox": found.filter(side=Side.ROUTED)[:LISTED],
            "can_write": has_right(request.user, "transfers", "W"),
            "enrollment": request.GET.get("enrollment", ""),
        },
    )


@require_POST
@requires_right("transfers", "W")
def transfer_request(request):
    form = request.POST
    try:
        person = transfers.find_person(
            enrollment_id=read_whole(form.get("enrollment", ""), "enrollment ID"),
            state_id=form.get("state_id", "").strip(),
            last_name=form.get("last_name", "").strip(),
            first_name=form.get("first_name", "").strip(),
            birth_date=read_day(form.get("birth_date", "")),
        )
        with state_client(retries=1) as client:
            transfer = transfers.request(client, person, request.user.get_username())
    except (TransferError, StateError) as exc:
        messages.error(request, f"Not requested: {exc}")
        return redirect("district:transfers")
    audit.record(request, "transfer.request", f"transfer {transfer.ref}", person=person.pk)
    messages.success(request, f"Requested: {transfer.status_label}.")
    return redirect("district:transfer", ref=transfer.ref)


def read_whole(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if (whole := one_id(text)) is None:
        raise TransferError(f"{text!r} is not an {what} (a whole number above 0)")
    return whole


def read_day(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise TransferError(f"birth date {text!r} is not a date (YYYY-MM-DD)") from None


@requires_right("transfers", "R")
def transfer_detail(request, ref: str):
    _refreshed(request)
    transfer = _transfer(ref)
    context: dict = {
        "transfer": transfer,
        "kinds": wire.KINDS.items(),
        "can_write": has_right(request.user, "transfers", "W"),
        "can_delete": has_right(request.user, "transfers", "D"),
        "attached": transfer.files.filter(received=False),
        "received_files": transfer.files.filter(received=True),
        "prior": transfer.prior.all(),
    }
    try:
        if transfer.side == Side.ROUTED and transfer.status == wire.Status.ROUTED:
            context["preview"] = releases.packet(transfer, request.user.get_username())
        if transfer.side == Side.ASKED and transfer.status == wire.Status.RELEASED:
            with relay_client(transfer, retries=0) as client:
                context["came"] = receipts.fetch(client, transfer)
            context["requested_person"] = (
                dis_model(catalog.PERSON).objects.filter(pk=transfer.person_id).first()
            )
    except (TransferError, StateError) as exc:
        context["problem"] = str(exc)
    return render(request, "district/transfer.html", context)


ACTIONS = ("choose", "attach", "detach", "release", "decline", "receive")


@require_POST
@requires_right("transfers", "W")
def transfer_action(request, ref: str):
    transfer = _transfer(ref)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, f"{action!r} is not something a transfer's page does.")
        return redirect("district:transfer", ref=ref)
    try:
        said, detail = _do(request, transfer, action)
    except (TransferError, StateError) as exc:
        messages.error(request, f"Not done: {exc}")
        return redirect("district:transfer", ref=ref)
    audit.record(request, f"transfer.{action}", f"transfer {transfer.ref}", **detail)
    messages.success(request, said)
    return redirect("district:transfer", ref=ref)


def _do(request, transfer: Transfer, action: str) -> tuple[str, dict]:
    """Carry out one action; what to say, and the audit entry's detail."""
    form, user = request.POST, request.user
    if action == "attach":
        upload = request.FILES.get("file")
        if upload is None:
            raise TransferError("choose a file to attach")
        label = form.get("label", "").strip() or upload.name
        document = releases.attach(
            transfer, form.get("kind", ""), label, upload.read(), user.get_username()
        )
        return f"Attached {document}.", {"document": str(document), "size": document.size}
    if action == "detach":
        document_id = read_whole(form.get("document", ""), "document ID") or 0
        releases.detach(transfer, document_id)
        return "The document is no longer attached.", {"document": document_id}
    if transfer.is_national and not has_right(user, "exchange", "W"):
        raise TransferError("a national request needs W on National Records Exchange")
    with relay_client(transfer, retries=1) as client:
        if action == "choose":
            transfers.choose(client, transfer, form.get("district", ""))
            return "Routed.", {"district": form.get("district", "")}
        if action == "release":
            releases.may_release(user)
            releases.release(client, transfer, user.get_username())
            return "Released: the requester is told.", {"documents": transfer.files.count()}
        if action == "decline":
            releases.decline(client, transfer, form.get("reason", ""), user.get_username())
            return "Declined: the requester is told why.", {"reason": form.get("reason", "")}
        chosen = form.get("person", "")
        person = receipts.CREATE if chosen == receipts.CREATE else read_whole(chosen, "person ID")
        if person is None:
            raise TransferError("choose the person the records go to, or create one")
        done = receipts.receive(client, transfer, person, user.get_username())
        return f"Received into person {done.person_id}.", {"person": done.person_id}


@require_POST
@requires_right("transfers", "D")
def transfer_delete(request, ref: str):
    transfer = _transfer(ref)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Not deleted: tick the box that says you mean it.")
        return redirect("district:transfer", ref=ref)
    try:
        with relay_client(transfer, retries=1) as client:
            transfers.delete(client, transfer)
    except (TransferError, StateError) as exc:
        messages.error(request, f"Not deleted: {exc}")
        return redirect("district:transfer", ref=ref)
    audit.record(request, "transfer.delete", f"transfer {transfer.ref}")
    messages.success(request, f"Request {ref} deleted, with its documents.")
    return redirect("district:transfers")


@requires_right("transfers", "R")
def transfer_document(request, ref: str, pk: int):
    transfer = _transfer(ref)
    document = get_object_or_404(transfer.files, pk=pk)
    try:
        content = privatefiles.read(transfer.folder(), document.file_name)
    except FileNotFoundError:
        raise Http404(f"document {pk}'s file is gone") from None
    audit.record(request, "transfer.download", f"transfer {transfer.ref}", document=str(document))
    answer = FileResponse(
        iter([content]),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.download_name,
    )
    answer["X-Content-Type-Options"] = "nosniff"
    return answer
