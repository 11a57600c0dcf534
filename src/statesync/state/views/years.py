"""Year Status and the Verification Summary at the state: who has done each year's mandatory
resyncs, requests for what is missing, closing years, and every district's latest verify."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog, csvfile
from statesync.core.modes import COMPARISON, Mode
from statesync.core.output import count
from statesync.state.models import District, DistrictYear, ResyncRequest, StateYear
from statesync.state.reports.yearstatus import COMPARED, request_missing, verification, year_status


def _year(request) -> int:
    """The year asked for (?year= or the form's), else the state's current year."""
    asked = request.POST.get("year") or request.GET.get("year") or ""
    if asked.isdigit() and 2000 <= int(asked) <= 2100:
        return int(asked)
    return StateYear.current_year()


def _picker(year: int) -> dict:
    """The year picker's part of a page: the year shown, and every year worth offering."""
    current = StateYear.current_year()
    known = set(DistrictYear.objects.values_list("school_year", flat=True))
    known |= set(StateYear.objects.values_list("end_year", flat=True)) | {current, year}
    return {
        "year": year,
        "label": catalog.year_label(year),
        "years": [(y, catalog.year_label(y)) for y in sorted(known, reverse=True)],
        "current": current,
    }


def _back(name: str, year: int):
    return redirect(f"{reverse(name)}?year={year}")


@requires_right("yearstatus", "R")
def years(request):
    year = _year(request)
    rows = year_status(year)
    context = {
        **_picker(year),
        "previous_label": catalog.year_label(year - 1),
        "rows": rows,
        "late": [r for r in rows if r.late],
        "closed": StateYear.closed_years(),
        "may_act": has_right(request.user, "yearstatus", "W"),
    }
    return render(request, "state/years.html", context)


@requires_right("yearstatus", "W")
@require_POST
def years_request(request):
    """Ask one district (number) or every late one for the mandatory resyncs they owe."""
    year = _year(request)
    number = request.POST.get("district", "")
    rows = [r for r in year_status(year) if r.late and number in ("", r.district.number)]
    if number and not rows:
        messages.error(
            request,
            f"District {number[:4]} owes no mandatory resync around {catalog.year_label(year)}.",
        )
        return _back("state:years", year)
    by = request.user.get_username()
    made = [made for row in rows for made in request_missing(row, by)]
    districts = sorted({r.district.number for r in made})
    if made:
        audit.record(
            request,
            "state.request_year_resyncs",
            f"{count(len(districts), 'district')}: {', '.join(districts)}",
            requests=[
                {"id": r.pk, "district": r.district.number, "year": r.school_year} for r in made
            ],
        )
        messages.success(
            request,
            f"Asked {count(len(districts), 'district')} ({', '.join(districts)}) for "
            f"{count(len(made), 'mandatory resync')}. Each district's worker picks its request up "
            "within a minute.",
        )
    else:
        messages.info(request, "Every missing resync has been requested already.")
    return _back("state:years", year)


@requires_right("yearstatus", "W")
@require_POST
def years_close(request):
    """Close the year (frozen: changes are rejected with E-YEAR-CLOSED), reopen it, or make it
    the state's current year."""
    year = _year(request)
    action = request.POST.get("action", "")
    label = catalog.year_label(year)
    if action == "close":
        StateYear.close(year, request.user.get_username())
        messages.success(
            request, f"{label} is closed: the state rejects any change to it (E-YEAR-CLOSED)."
        )
    elif action == "reopen":
        StateYear.reopen(year)
        messages.success(request, f"{label} is open again: districts may change it.")
    elif action == "current":
        StateYear.make_current(year)
        messages.success(request, f"{label} is now the state's current school year.")
    else:
        messages.error(request, f"Unknown action {action[:40]!r}: close, reopen or current.")
        return _back("state:years", year)
    audit.record(request, f"state.year_{action}", f"school year {label}")
    return _back("state:years", year)


@requires_right("stateverification", "R")
def state_verification(request):
    year = _year(request)
    rows, across = verification(year)
    if request.GET.get("format") == "csv":
        audit.record(request, "verification.export", f"state, school year {year}")
        return _csv(year, rows)
    grand = {key: sum(across[name][key] for name in across) for key in COMPARED}
    context = {
        **_picker(year),
        "rows": rows,
        "across": across,
        "grand": grand,
        "columns": COMPARISON,
        "objects": catalog.NAMES,
        "may_request": has_right(request.user, "stateverification", "W"),
    }
    return render(request, "state/verification.html", context)


@requires_right("stateverification", "W")
@require_POST
def verification_request(request):
    """Ask one district (number) or every district for a verify of every object."""
    year = _year(request)
    number = request.POST.get("district", "")
    if number:
        districts = [get_object_or_404(District, number=number)]
    else:
        districts = list(District.objects.all())
    by = request.user.get_username()
    for district in districts:
        req = ResyncRequest.ask(district, list(catalog.NAMES), Mode.VERIFY, by, school_year=year)
        audit.record(
            request,
            "state.request_resync",
            f"district {district.number}",
            request_id=req.pk,
            school_year=year,
            mode=Mode.VERIFY,
        )
    messages.success(
        request,
        f"Asked {count(len(districts), 'district')} for a verify of {catalog.year_label(year)}. "
        "The summary shows each once it has ended.",
    )
    return _back("state:verification-summary", year)


def _csv(year: int, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="statesync-state-verification-{year}-{stamp}.csv"'
    )
    writer = csvfile.Writer(response)
    writer.writerow(["district", "school_year", "run", "verified_at", "object", *COMPARED])
    for row in rows:
        if row.verify is None:
            continue
        for name, figures in row.figures.items():
            writer.writerow(
                [
                    row.district.number,
                    catalog.year_label(year),
                    row.verify["run"],
                    row.verify["finished_at"] or "",
                    name,
                    *(figures[k] for k in COMPARED),
                ]
            )
    return response
