"""Resync State Data - Selective Sync: paste IDs, sync them, keep a history."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from statesync.access import audit
from statesync.access.decorators import forbidden, requires_right
from statesync.access.rights import has_right, right_label
from statesync.core import catalog
from statesync.district.forms import SelectiveForm
from statesync.district.models import SelectiveSync
from statesync.district.services.actions import start_selective_sync
from statesync.district.services.selective import OBJECTS

LABELS = {name: f"Enter District {catalog.get(name).selective_label}" for name in OBJECTS}


@requires_right("selective", "R")
def selective_tool(request):
    form = SelectiveForm(request.POST or None)
    result = None
    if request.method == "POST":
        if not has_right(request.user, "selective", "W"):
            return forbidden(request, right_label("selective", "W"))
        if form.is_valid():
            result = start_selective_sync(
                request, form.cleaned_data["object"], form.cleaned_data["parsed"]
            )
            form = SelectiveForm(initial={"object": result.object})
    chosen = (form.data.get("object") if form.is_bound else None) or form.initial.get("object")
    history = Paginator(SelectiveSync.objects.select_related("requested_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "district/selective.html",
        {
            "form": form,
            "result": result,
            "history": history,
            "labels": LABELS,
            "id_label": LABELS.get(chosen, LABELS[OBJECTS[0]]),
            "can_sync": has_right(request.user, "selective", "W"),
            "can_delete": has_right(request.user, "selective", "D"),
        },
    )


@requires_right("selective", "R")
def selective_result(request, pk: int):
    """One sync's outcome (polled by htmx while the worker is on it)."""
    entry = get_object_or_404(SelectiveSync, pk=pk)
    return render(request, "district/_selective_result.html", {"result": entry})


@requires_right("selective", "D")
def selective_delete(request):
    """Delete the history entries asked for (one row's Delete, or the ticked ones), after a
    confirmation page that lists exactly those."""
    params = request.POST if request.method == "POST" else request.GET
    ids = sorted({int(i) for i in params.getlist("entries") if i.isdigit() and len(i) < 19})
    entries = SelectiveSync.objects.filter(pk__in=ids).select_related("requested_by")
    if not ids or not entries.exists():
        messages.error(request, "Tick the history rows to delete first.")
        return redirect("district:selective")
    if request.method != "POST" or params.get("confirm") != "yes":
        return render(request, "district/selective_delete.html", {"entries": entries})
    deleted, _ = entries.delete()
    audit.record(request, "selective.history.delete", "sync history", entries=ids, deleted=deleted)
    messages.success(
        request, f"Deleted {deleted} sync history entr{'y' if deleted == 1 else 'ies'}."
    )
    return redirect("district:selective")
