"""The Record Deleter: remove records from one district's copy, after showing what goes."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.core.idlists import SelectionError, parse_ids
from statesync.state.ingest import removal
from statesync.state.models import District, Removal
from statesync.state.views.resync import edfi_door

TOO_MANY = "More than {limit:,} IDs were entered; one removal takes at most {limit:,}."


@requires_right("recorddeleter", "R")
def record_deleter(request, number: str):
    """GET: the form; POST: what the removal would take; POST with confirm: remove it."""
    district = get_object_or_404(District, number=number)
    form = request.POST if request.method == "POST" else request.GET
    name, text = form.get("object", ""), form.get("ids", "")
    context = {
        "district": district,
        "objects": catalog.order(),
        "chosen": name,
        "ids": text,
        "edfi": edfi_door(request, district)["door"] == "Ed-Fi",
        "can_remove": has_right(request.user, "recorddeleter", "D"),
        "recent": Removal.objects.filter(district=district)[:20],
    }
    if request.method != "POST" or context["edfi"]:
        return render(request, "state/record_deleter.html", context)
    problem, ids = _parse(name, text)
    if problem:
        messages.error(request, problem)
        return render(request, "state/record_deleter.html", context)
    planned = removal.plan(district, name, ids)
    context["plan"] = planned
    if form.get("confirm") != "yes":
        return render(request, "state/record_deleter.html", context)
    if not context["can_remove"]:
        messages.error(request, "Removing records needs D (Remove records) on Record Deleter.")
        return render(request, "state/record_deleter.html", context)
    if form.get("expected") != str(planned.total):
        messages.warning(
            request,
            f"Nothing was removed: the removal takes {planned.total} records now, not the "
            "number you confirmed. Look again and confirm.",
        )
        return render(request, "state/record_deleter.html", context)
    done = removal.remove(district, name, ids, request.user.get_username())
    audit.record(request, "records.remove", f"district {number}: {name}", **done.as_dict())
    messages.success(
        request,
        f"Removed {done.total} records from district {number}'s copy: "
        + ", ".join(f"{n} {obj}" for obj, n in done.counts())
        + (f"; {len(done.refused)} kept by a closed year" if done.refused else "")
        + ".",
    )
    return redirect("state:record-deleter", number=number)


def _parse(name: str, text: str) -> tuple[str, list[int]]:
    """('', IDs) or (what is wrong, [])."""
    if name not in catalog.OBJECTS:
        return "Choose the object the IDs are of.", []
    try:
        parsed = parse_ids(text, too_many=TOO_MANY)
    except SelectionError as exc:
        return str(exc), []
    if parsed.not_ids:
        return f"Nothing was looked up: not IDs: {', '.join(parsed.not_ids[:10])}.", []
    if not parsed.ids:
        return "Enter at least one ID.", []
    return "", parsed.ids
