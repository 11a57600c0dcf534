"""Year Rollover and the Verification Summary: the school year's mandatory resyncs and how
the district's records compare with the state's (from the latest verify)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from statesync.access import audit
from statesync.access.decorators import forbidden, requires_right
from statesync.access.rights import has_right, right_label
from statesync.core import catalog, csvfile
from statesync.core.modes import COMPARISON
from statesync.district.models import Mode, SchoolYear
from statesync.district.models.years import RolloverRefused
from statesync.district.services.actions import start_resync
from statesync.district.services.dis import dis_problem
from statesync.district.services.years import report_years_now


@requires_right("rollover", "R")
def rollover(request):
    scoped = SchoolYear.scoped()
    refused = None
    if request.method == "POST":
        if not has_right(request.user, "rollover", "W"):
            return forbidden(request, right_label("rollover", "W"))
        anyway = request.POST.get("anyway") == "on"
        try:
            new = SchoolYear.rollover(anyway=anyway)
        except RolloverRefused as exc:
            refused = exc
        else:
            audit.record(
                request,
                "year.rollover",
                f"school year {new.label}",
                previous=scoped.end_year,
                anyway=anyway,
            )
            report_years_now()
            messages.success(
                request,
                f"The scoped school year is now {new.label}. Its start-of-year resync is due: "
                "resync every object.",
            )
            return redirect("district:rollover")
    last = scoped.end_of_year_run()
    context = {
        "scoped": scoped,
        "next_label": catalog.year_label(scoped.end_year + 1),
        "end_of_year": last,
        "end_errors": last.errors_by_object() if last else {},
        "start_of_year": scoped.start_of_year_run,
        "previous": [SchoolYear.objects.get(pk=y) for y in SchoolYear.offered()[1:]],
        "refused": refused,
        "may_roll": has_right(request.user, "rollover", "W"),
    }
    return render(request, "district/rollover.html", context)


def _verification(year: int) -> tuple[object, list[dict], dict[str, int]]:
    """The latest verify of `year`, its rows per object, and their totals."""
    found = SchoolYear.objects.filter(pk=year).first()
    run = found.last_verify() if found else None
    rows = []
    totals = dict.fromkeys((key for key, _ in COMPARISON), 0)
    if run is not None:
        for ro in run.objects_in_order:
            figures = ro.comparison()
            rows.append({"object": ro.object, **figures})
            for key in totals:
                totals[key] += figures[key]
    return run, rows, totals


def _years() -> list[int]:
    known = set(SchoolYear.objects.values_list("end_year", flat=True)) | {SchoolYear.current()}
    return sorted(known, reverse=True)


@requires_right("verification", "R")
def verification(request):
    years = _years()
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdigit() and int(asked) in years else SchoolYear.current()
    if request.method == "POST":
        if not has_right(request.user, "verification", "W"):
            return forbidden(request, right_label("verification", "W"))
        problem = dis_problem()
        if problem:
            messages.error(request, problem)
        else:
            run = start_resync(request, catalog.NAMES, Mode.VERIFY, False, year)
            messages.success(
                request,
                f"Run {run.pk} queued: a verify of every object for {catalog.year_label(year)}. "
                "This summary shows it once it ends.",
            )
        return redirect(f"{reverse('district:verification')}?year={year}")
    run, rows, totals = _verification(year)
    if request.GET.get("format") == "csv":
        audit.record(request, "verification.export", f"school year {year}")
        return _csv(year, run, rows)
    context = {
        "year": year,
        "years": [(y, catalog.year_label(y)) for y in years],
        "year_label": catalog.year_label(year),
        "run": run,
        "rows": rows,
        "totals": totals,
        "columns": COMPARISON,
        "may_verify": has_right(request.user, "verification", "W"),
        "dis_problem": dis_problem(),
    }
    return render(request, "district/verification.html", context)


def _csv(year: int, run, rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="statesync-verification-{year}-{stamp}.csv"'
    )
    writer = csvfile.Writer(response)
    writer.writerow(["school_year", "run", "verified_at", "object", *(k for k, _ in COMPARISON)])
    verified = timezone.localtime(run.finished_at).isoformat() if run else ""
    for row in rows:
        writer.writerow(
            [catalog.year_label(year), run.pk, verified, row["object"]]
            + [row[k] for k, _ in COMPARISON]
        )
    return response
