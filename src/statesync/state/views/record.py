"""The state's side of the Data Tool: one record of a district's copy, as the state holds it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, render

from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.state.models import District
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
        elif not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
            messages.error(request, f"{text!r} is not a record ID (a whole number above 0).")
        else:
            context["held"] = held_record(district, name, int(text))
            context["can_remove"] = has_right(request.user, "recorddeleter", "R")
            if has_right(request.user, "statemessages", "R"):
                context["record_messages"] = messages_of_record(district, name, int(text))
                context["messages_keep_days"] = settings.MESSAGES_KEEP_DAYS
    return render(request, "state/record.html", context)
