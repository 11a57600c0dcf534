"""The Data Tool: look one record up and see it on both sides; sync it now."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.core.idlists import one_id
from statesync.core.sync.client import StateError
from statesync.district.services import datatool
from statesync.district.services.dis import state_client


def _chosen(query) -> tuple[str, int | None, str]:
    """(object, record ID, what is wrong with them)."""
    name, text = query.get("object", ""), query.get("id", "").strip()
    if not name and not text:
        return "", None, ""
    if name not in catalog.OBJECTS:
        return "", None, "Choose the object the record is of."
    if (record_id := one_id(text)) is None:
        return name, None, f"{text!r} is not a record ID (a whole number above 0)."
    return name, record_id, ""


@requires_right("datatool", "R")
def data_tool(request):
    name, record_id, problem = _chosen(request.GET)
    if problem:
        messages.error(request, problem)
    context: dict = {"objects": catalog.order(), "chosen": name, "record_id": record_id}
    context |= _people(request)
    if record_id is not None:
        try:
            with state_client(retries=0) as client:
                context["look"] = datatool.look(name, record_id, client)
        except StateError as exc:
            context["look"] = datatool.look(name, record_id, None)
            context["look"].state_problem = str(exc)
        context["can_sync"] = has_right(request.user, "datatool", "W")
    return render(request, "district/data_tool.html", context)


def _people(request) -> dict:
    text, born = request.GET.get("q", ""), request.GET.get("birth_date", "").strip()
    if not text.strip() and not born:
        return {}
    try:
        birth_date = dt.date.fromisoformat(born) if born else None
    except ValueError:
        messages.error(request, f"Birth date {born!r} is not a date (YYYY-MM-DD).")
        return {}
    return {"people": datatool.people(text, birth_date), "q": text, "birth_date": born}


@require_POST
@requires_right("datatool", "W")
def data_tool_sync(request):
    name, record_id, problem = _chosen(request.POST)
    if problem or record_id is None:
        messages.error(request, problem or "Choose a record to sync.")
        return redirect("district:data-tool")
    target = f"{name} {record_id}"
    try:
        with state_client(retries=1) as client:
            result = datatool.sync_now(name, record_id, client)
    except StateError as exc:
        audit.record(request, "datatool.sync", target, sent=False, error=str(exc))
        messages.error(request, f"Not sent: {exc}")
    else:
        rejected = result.rejected.get(record_id, [])
        audit.record(
            request, "datatool.sync", target, accepted=not rejected and not result.not_found
        )
        if result.not_found:
            messages.error(request, f"{target} is not in the district: nothing was sent.")
        elif rejected:
            why = "; ".join(f"{e['code']} {e['message']}" for e in rejected)
            messages.error(request, f"The state rejected {target}: {why}")
        else:
            first = f" ({len(result.sent_first)} parent records first)" if result.sent_first else ""
            messages.success(request, f"The state accepted {target}{first}.")
    return redirect(f"{reverse('district:data-tool')}?object={name}&id={record_id}")
