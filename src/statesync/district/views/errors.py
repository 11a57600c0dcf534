"""Error Log: why the state rejected records, filtered, summarised, exported and cleared."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog, csvfile
from statesync.core import output as words
from statesync.core.wire import RuleCode
from statesync.district.services import errorlog
from statesync.district.services.causes import analyse
from statesync.district.services.errorlog import COLUMNS, BadFilter, filtered

PAGE_SIZE = 50
CAUSES_SHOWN = 50


@requires_right("errorlog", "R")
def error_log(request):
    try:
        entries, chosen = filtered(request.GET)
    except BadFilter as bad:
        messages.error(request, f"Nothing is shown: {bad}.")
        entries, chosen = filtered({})
        entries = entries.none()
    codes, matrix = errorlog.by_object_and_code(entries)
    # Now, unfiltered: the causes first, each with the records it holds back.
    page = Paginator(entries.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    narrowed = any(chosen[k] for k in ("object", "school", "code", "q")) or chosen["record"]
    plain = not chosen["history"] and not narrowed and request.GET.keys() <= {"page"}
    # Above the first page only. A record two causes hold back is one record held back.
    analysis = analyse() if plain and page.number == 1 else None
    causes = analysis.causes if analysis else []
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "district/errors.html",
        {
            "page": page,
            "chosen": chosen,
            "codes": codes,
            "all_codes": [code.value for code in RuleCode],
            "objects": catalog.NAMES,
            "matrix": matrix,
            "query": query.urlencode(),
            "can_clear": has_right(request.user, "errorlog", "D"),
            "causes": causes[:CAUSES_SHOWN],
            "causes_total": len(causes),
            "held_back": len(analysis.roots) if analysis else 0,
        },
    )


@requires_right("errorlog", "R")
def error_report(request):
    """Generate Report: the filtered entries as CSV, streamed (no row limit, flat memory)."""
    try:
        entries, chosen = filtered(request.GET)
    except BadFilter as bad:
        return HttpResponseBadRequest(f"No report: {bad}.", content_type="text/plain")
    rows = (
        [
            e.run_id or "",
            e.source,
            e.object,
            e.record_id,
            e.school_id or "",
            e.code,
            e.field,
            e.message,
            timezone.localtime(e.created_at).isoformat(),
        ]
        for e in entries.order_by("id").iterator(chunk_size=2000)
    )
    audit.record(request, "errorlog.export", "error log", filters=chosen)
    return csvfile.streaming_response("statesync-errors", COLUMNS, rows)


@requires_right("errorlog", "D")
def error_clear(request):
    """Clear Log, behind a confirmation; clears what the filters select (all by default), and
    only the number of entries the confirmation showed."""
    try:
        entries, chosen = filtered(request.POST if request.method == "POST" else request.GET)
    except BadFilter as bad:
        return HttpResponseBadRequest(f"Nothing was cleared: {bad}.", content_type="text/plain")
    count = entries.count()
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if confirmed and request.POST.get("expected") != str(count):
        messages.warning(
            request,
            f"Nothing was cleared: {words.count(count, 'entry', 'entries')} match now, "
            "not the number you confirmed. Look again and confirm.",
        )
    elif confirmed:
        entries.delete()
        audit.record(request, "errorlog.clear", "error log", filters=chosen, deleted=count)
        messages.success(
            request, f"Cleared {words.count(count, 'error log entry', 'error log entries')}."
        )
        return redirect("district:errors")
    return render(request, "district/errors_clear.html", {"count": count, "chosen": chosen})
