"""The state's Message History of one district: what came in through its doors, searched,
summarised, exported, and looked into message by message."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.core import catalog, csvfile
from statesync.core.db.routers import state_db
from statesync.core.messagelog import FilterError, Summary
from statesync.state.models import District, ReceivedMessage, Rejection
from statesync.state.models.messages import Origin, Result
from statesync.state.reports import messages as history
from statesync.state.reports.messages import ReceivedFilter

PAGE_SIZE = 50
RECORDS_PAGE = 100
PREVIEW = 5  # record IDs shown in a message's row


@requires_right("statemessages", "R")
def received_messages(request, number: str):
    district = get_object_or_404(District, number=number)
    try:
        chosen = ReceivedFilter.parse(district, request.GET)
    except FilterError as bad:
        flash.error(request, f"Nothing is shown: {bad}")
        chosen, found = ReceivedFilter(district), ReceivedMessage.objects.none()
        summary = Summary.of((), Result.values, [])
    else:
        found, summary = chosen.messages(), history.summarize(chosen)
    paginator = Paginator(found, PAGE_SIZE)
    paginator.count = summary.total  # counted once, by the summary
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "state/messages.html",
        {
            "district": district,
            "page": page,
            "rows": [(m, m.ids()[:PREVIEW]) for m in page.object_list],
            "summary": summary,
            "chosen": chosen,
            "query": urlencode(chosen.as_query()),
            "by_result": [(v, label, summary.by_result[v]) for v, label in Result.choices],
            "messages_keep_days": settings.MESSAGES_KEEP_DAYS,
            "objects": catalog.order(),
            "origins": Origin.choices,
            "results": Result.choices,
            "id_kinds": history.ID_KINDS.items(),
        },
    )


@requires_right("statemessages", "R")
def received_report(request, number: str):
    """The district's filtered messages as CSV, streamed from the database."""
    district = get_object_or_404(District, number=number)
    try:
        chosen = ReceivedFilter.parse(district, request.GET)
    except FilterError as bad:
        return HttpResponseBadRequest(f"No report: {bad}", content_type="text/plain")
    audit.record(request, "statemessages.export", f"district {number}", filters=chosen.as_query())
    rows = history.csv_rows(chosen.messages(), district.number)
    name = f"statesync-{district.number}-messages"
    return csvfile.streaming_response(name, history.CSV_HEADER, rows)


@requires_right("statemessages", "R")
def received_message(request, number: str, pk: int):
    """One message the district sent: each record it carried, and what the state said."""
    district = get_object_or_404(District, number=number)
    message = get_object_or_404(ReceivedMessage.objects.using(state_db()), pk=pk, district=district)
    records = Paginator(message.items(), RECORDS_PAGE).get_page(request.GET.get("page"))
    rejected = [i for i, _, codes in records.object_list if codes]
    errors = dict(
        Rejection.objects.filter(
            district=district, object=message.object, record_id__in=rejected
        ).values_list("record_id", "errors")
    )
    return render(
        request,
        "state/message.html",
        {
            "district": district,
            "message": message,
            "records": records,
            "rows": [(i, action, codes, errors.get(i)) for i, action, codes in records.object_list],
            "is_object": message.object in catalog.NAMES,
        },
    )
