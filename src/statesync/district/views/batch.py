"""Resync State Data - Batch: the tree, the plan, running, and each object's latest result."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import forbidden, requires_right
from statesync.core import catalog
from statesync.core.http.navigation import safe_next
from statesync.district.forms import BatchForm
from statesync.district.models import (
    MODE_HELP,
    DifferenceKind,
    Mode,
    Run,
    RunStatus,
    SchoolYear,
)
from statesync.district.services.actions import start_resync
from statesync.district.services.dis import dis_problem
from statesync.district.services.status import LEGEND, object_states


def _rows_context(year: int) -> dict:
    active = list(
        Run.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).order_by("pk")
    )
    return {"states": object_states(year), "active_runs": active, "legend": LEGEND, "year": year}


def _shown_year(request, years: list[int]) -> int:
    """The year the page shows: ?year= when the batch tool offers it, else the scoped one."""
    asked = request.GET.get("year", "")
    return int(asked) if asked.isdigit() and int(asked) in years else years[0]


@requires_right("batch", "R")
def batch(request):
    years = SchoolYear.offered()
    form = BatchForm(request.POST or None, years=years)
    if request.method == "POST" and form.is_valid():
        problem = dis_problem()
        if problem:
            messages.error(request, problem)
            return redirect("district:batch")
        data = form.cleaned_data
        year = data["school_year"]
        run = start_resync(request, data["objects"], data["mode"], data["check_dependencies"], year)
        objects = [ro.object for ro in run.objects_in_order]
        position = run.queue_position
        messages.success(
            request,
            f"Run {run.pk} queued ({run.get_mode_display().lower()}: {', '.join(objects)}). "
            + ("It starts next. " if position == 1 else f"It is number {position} in the queue. ")
            + "You will get a notification when it completes.",
            extra_tags="queued-run",  # batch.js takes it away once no run is queued or running
        )
        return redirect(f"{reverse('district:batch')}?year={year}")
    year = form.cleaned_data.get("school_year") if form.is_bound else None
    year = year or _shown_year(request, years)
    context = {
        "form": form,
        "year": year,
        "years": [(y, catalog.year_label(y)) for y in years],
        "year_label": catalog.year_label(year),
        "tree": catalog.flat_tree(),
        "subtrees": {n: catalog.subtree(n) for n in catalog.NAMES},
        "modes": [(m.value, m.label, MODE_HELP[m]) for m in Mode],
        "dis_problem": dis_problem(),
        **_rows_context(year),
    }
    return render(request, "district/batch.html", context)


@requires_right("batch", "R")
def batch_rows(request):
    """The object rows and the queue, refreshed by htmx while runs are active."""
    year = _shown_year(request, SchoolYear.offered())
    return render(request, "district/_batch_rows.html", _rows_context(year))


@requires_right("batch", "R")
def batch_plan(request):
    """The plan preview: the objects the current selection runs, in order."""
    selected = request.GET.getlist("objects")
    check = request.GET.get("check_dependencies") in ("on", "true", "1")
    try:
        objects = catalog.plan(selected, check) if selected else []
        error = "" if selected else "Tick the objects to resync."
    except (catalog.PlanError, catalog.UnknownObject) as exc:
        objects, error = [], str(exc)
    added = [o for o in objects if o not in selected]
    return render(
        request, "district/_plan.html", {"objects": objects, "added": added, "error": error}
    )


SHOWN = 200  # differences listed on a run's page


@requires_right("batch", "R")
def run_detail(request, pk: int):
    run = get_object_or_404(Run, pk=pk)
    verify = run.mode == Mode.VERIFY
    drift_rows: list = []
    explained: list = []
    explained_total = 0
    if verify:  # the drift first: what nothing explains; then what the Error Log does
        drift_rows = list(run.differences.exclude(kind=DifferenceKind.REJECTED)[:SHOWN])
        rejected = run.differences.filter(kind=DifferenceKind.REJECTED)
        explained, explained_total = list(rejected[:SHOWN]), rejected.count()
    drift = sum(ro.drift for ro in run.run_objects.all()) if verify else 0
    context = {"run": run, "drift": drift, "drift_rows": drift_rows, "explained": explained}
    return render(request, "district/run.html", {**context, "explained_total": explained_total})


@require_POST
@requires_right("batch", "R")
def run_cancel(request, pk: int):
    run = get_object_or_404(Run, pk=pk)
    if not run.may_be_cancelled_by(request.user):
        starter = run.requested_by or f"the {run.requested_from}"
        return forbidden(
            request,
            f"the product security role, or to be the run's starter, to cancel run {run.pk} "
            f"(started by {starter})",
        )
    if run.request_cancel():
        audit.record(request, "resync.cancel", f"run {run.pk}")
        messages.success(
            request,
            f"Run {run.pk} cancelled."
            if run.status == RunStatus.CANCELLED
            else f"Run {run.pk} will stop after its current batch.",
        )
    else:
        messages.error(request, f"Run {run.pk} has already ended ({run.get_status_display()}).")
    return redirect(safe_next(request, "district:batch"))
