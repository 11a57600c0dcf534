"""The state's side of the Data Tool: one record of a district's copy, as the state holds it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.core.idlists import one_id
from statesync.state.models import District, ResyncRequest
from statesync.state.reports.messages import messages_of_record
from statesync.state.reports.record import held_record


@requires_right("state", "R")
def held_record_page(request, number: str):
    district = get_object_or_404(District, number=number)
    name, text = request.GET.get("object", ""), request.GET.get("id", "").strip()
    context = {"district": district, "objects": catalog.order(), "chosen": name, "id": text}
    if name or text:
        if name not in catalog.OBJECTS:
            messages.error(request, "Choose the object the record is of.")
        elif (record_id := one_id(text)) is None:
            messages.error(request, f"{text!r} is not a record ID (a whole number above 0).")
        else:
            context["held"] = held_record(district, name, record_id)
            context["can_remove"] = has_right(request.user, "recorddeleter", "R")
            context["can_ask"] = has_right(request.user, "state", "W")
            if has_right(request.user, "statemessages", "R"):
                context["record_messages"] = messages_of_record(district, name, record_id)
                context["messages_keep_days"] = settings.MESSAGES_KEEP_DAYS
    return render(request, "state/record.html", context)


@require_POST
@requires_right("state", "W")
def held_record_sync(request, number: str):
    """Ask the district to send this record now (the state cannot send it itself): its
    worker takes the request within a minute and sends it, parents first."""
    district = get_object_or_404(District, number=number)
    name, text = request.POST.get("object", ""), request.POST.get("id", "").strip()
    if name not in catalog.OBJECTS or (record_id := one_id(text)) is None:
        messages.error(request, "Name the object and the record's ID (a whole number).")
        return redirect("state:record", number=number)
    asked = ResyncRequest.ask(
        district, [name], "force", request.user.get_username(), record_ids=[record_id]
    )
    audit.record(request, "state.request_record", f"{name} {text}", district=number, asked=asked.pk)
    messages.success(
        request,
        f"Asked district {number} to send {name} {text} now (request {asked.pk}): its worker "
        "takes requests every minute; the record's messages below show what came.",
    )
    return redirect(f"{reverse('state:record', args=[number])}?object={name}&id={text}")
