"""Resync State Data (State): each district's sync as the state sees it, and resync requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect, render

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.core.modes import MODE_HELP, Mode
from statesync.state.models import (
    District,
    DownChange,
    EdfiDocument,
    FieldSetting,
    Rejection,
    ResyncRequest,
)
from statesync.state.reports.overview import LEGEND, overview


@requires_right("state", "R")
def districts(request):
    rows = overview(list(District.objects.all()))
    return render(
        request,
        "state/districts.html",
        {"rows": rows, "objects": catalog.NAMES, "legend": LEGEND},
    )


@requires_right("state", "R")
def district(request, number: str):
    found = get_object_or_404(District, number=number)
    [row] = overview([found])
    rejections = Rejection.objects.filter(district=found).order_by("object", "record_id")
    chosen = request.GET.get("object", "")
    if chosen in catalog.NAMES:
        rejections = rejections.filter(object=chosen)
    page = Paginator(rejections, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "state/district.html",
        {
            "row": row,
            "district": found,
            "page": page,
            "chosen": chosen,
            "objects": catalog.NAMES,
            "requests": found.requests.all()[:10],
            "modes": [(m.value, m.label, MODE_HELP[m]) for m in Mode],
            "can_request": has_right(request.user, "state", "W"),
            "legend": LEGEND,
            "owned": sorted(FieldSetting.state_owned(state_db())),
            "can_set_values": has_right(request.user, "fieldsettings", "W"),
            "can_delete_records": has_right(request.user, "recorddeleter", "R"),
            "can_see_messages": has_right(request.user, "statemessages", "R"),
            "down_pending": DownChange.objects.filter(district=found, applied_at=None).count(),
            **edfi_door(request, found),
        },
    )


def edfi_door(request, district: District) -> dict:
    """The district's door and, for an Ed-Fi district, what it last sent and its clients."""
    clients = list(district.edfi_clients.order_by("-created_at"))
    documents = EdfiDocument.objects.using(state_db()).filter(district=district)
    edfi = bool(clients) or documents.exists()
    last = documents.aggregate(last=Max("last_modified"))["last"] if edfi else None
    return {
        "door": "Ed-Fi" if edfi else "statesync",
        "edfi_clients": clients,
        "edfi_last_received": last,
        "edfi_held": documents.filter(body__isnull=False).count() if edfi else 0,
        "can_issue_edfi": has_right(request.user, "state", "A"),
    }


@requires_right("state", "W")
def request_resync(request, number: str):
    found = get_object_or_404(District, number=number)
    if request.method != "POST":
        return redirect("state:district", number=number)
    if edfi_door(request, found)["door"] == "Ed-Fi":
        messages.error(
            request,
            f"District {number} sends through Ed-Fi: it has no statesync worker to run a "
            "resync. Ask its Ed-Fi publisher to send again.",
        )
        return redirect("state:district", number=number)
    try:
        objects = catalog.parse_names(request.POST.getlist("objects"))
    except catalog.UnknownObject as exc:
        messages.error(request, str(exc))
        return redirect("state:district", number=number)
    mode = request.POST.get("mode", Mode.DIFFERENTIAL)
    if not objects or mode not in Mode.values:
        messages.error(request, "Tick at least one object and choose a mode.")
        return redirect("state:district", number=number)
    req = ResyncRequest.ask(found, objects, mode, request.user.get_username())
    audit.record(
        request,
        "state.request_resync",
        f"district {number}",
        request_id=req.pk,
        objects=objects,
        mode=mode,
    )
    messages.success(
        request,
        f"Asked district {number} to run a {mode} resync of {', '.join(objects)}. Its worker "
        "picks the request up within a minute.",
    )
    return redirect("state:district", number=number)
