"""The National Records Exchange page: this district's registration with the router (terms,
places, credential), the District Locator, and a request to a district in another state. The
requests themselves live in Student Records Transfer's inbox, marked National."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core.exchange import TERMS, TERMS_VERSION
from statesync.core.sync.client import StateError
from statesync.district.models import Registration
from statesync.district.services import exchange, transfers
from statesync.district.services.transfers import TransferError
from statesync.district.views.transfers import read_day, read_whole

ACTIONS = ("update", "rotate", "withdraw")


@requires_right("exchange", "R")
def exchange_page(request):
    query = request.GET.get("q", "").strip()
    registration = Registration.current()
    context = {
        "registration": registration,
        "registered": registration is not None and registration.status == "registered",
        "places": exchange.places(),
        "terms": TERMS,
        "terms_version": TERMS_VERSION,
        "can_write": has_right(request.user, "exchange", "W"),
        "query": query,
    }
    if query and context["registered"]:
        try:
            context["found"] = exchange.locate(query)
        except (TransferError, StateError) as exc:
            context["problem"] = str(exc)
    return render(request, "district/exchange.html", context)


@require_POST
@requires_right("exchange", "W")
def exchange_register(request):
    form = request.POST
    try:
        done = exchange.register(
            form.get("router", "").strip(),
            form.get("token", ""),
            request.user.get_username(),
            contact=form.get("contact", "").strip()[:200],
            accept_terms=form.get("accept_terms") == "yes",
        )
    except (TransferError, StateError) as exc:
        messages.error(request, f"Not registered: {exc}")
        return redirect("district:exchange")
    audit.record(request, "exchange.register", done.code, router=done.router_url)
    messages.success(request, f"Registered as {done.code}: other districts can find this one.")
    return redirect("district:exchange")


@require_POST
@requires_right("exchange", "W")
def exchange_change(request):
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, f"{action!r} is not something this page does.")
        return redirect("district:exchange")
    try:
        if action == "update":
            done = exchange.update(request.user.get_username())
        elif action == "rotate":
            done = exchange.rotate()
        else:
            if request.POST.get("confirm") != "yes":
                raise TransferError("tick the box that says you mean to withdraw")
            done = exchange.withdraw()
    except (TransferError, StateError) as exc:
        messages.error(request, f"Not done: {exc}")
        return redirect("district:exchange")
    audit.record(request, f"exchange.{action}", done.code, places=len(done.places))
    said = {"update": "Places sent again", "rotate": "A new credential is in use"}
    messages.success(request, said.get(action, f"Withdrawn: {done.code} is no longer found") + ".")
    return redirect("district:exchange")


@require_POST
@requires_right("exchange", "W")
def exchange_request(request):
    form = request.POST
    try:
        person = transfers.find_person(
            enrollment_id=read_whole(form.get("enrollment", ""), "enrollment ID"),
            last_name=form.get("last_name", "").strip(),
            first_name=form.get("first_name", "").strip(),
            birth_date=read_day(form.get("birth_date", "")),
        )
        transfer = exchange.request(
            person,
            form.get("district", ""),
            request.user.get_username(),
            former_school=form.get("former_school", ""),
            student_id=form.get("student_id", ""),
        )
    except (TransferError, StateError) as exc:
        messages.error(request, f"Not requested: {exc}")
        return redirect("district:exchange")
    audit.record(
        request, "transfer.request", f"transfer {transfer.ref}", person=person.pk, national=True
    )
    messages.success(request, f"Requested of {transfer.other_district}: {transfer.status_label}.")
    return redirect("district:transfer", ref=transfer.ref)
