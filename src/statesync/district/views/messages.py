"""Message History and Sent Record History: what went to the state and came back, searched,
summarised, exported, looked into, and sent again."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.access.rights import has_right
from statesync.core import catalog, csvfile
from statesync.core.messagelog import FilterError, Summary
from statesync.district.models import Message, Origin, Result
from statesync.district.services import messagehistory, resend, sentbodies
from statesync.district.services.dis import state_client
from statesync.district.services.messagehistory import MessageFilter

PAGE_SIZE = 50
RECORDS_PAGE = 100
PREVIEW = 5  # record IDs shown in a message's row
KEEP_DAYS = {
    "sent_keep_days": settings.SENT_KEEP_DAYS,
    "messages_keep_days": settings.MESSAGES_KEEP_DAYS,
}


@requires_right("messages", "R")
def message_history(request):
    try:
        chosen = MessageFilter.parse(request.GET)
    except FilterError as bad:
        flash.error(request, f"Nothing is shown: {bad}")
        chosen, found = MessageFilter(), Message.objects.none()
        summary = Summary.of((), Result.values, [])
    else:
        found, summary = chosen.messages(), messagehistory.summarize(chosen)
    paginator = Paginator(found, PAGE_SIZE)
    paginator.count = summary.total  # counted once, by the summary
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "district/messages.html",
        {
            "page": page,
            "rows": [(m, m.first_ids(PREVIEW)) for m in page.object_list],
            "summary": summary,
            "chosen": chosen,
            "query": urlencode(chosen.as_query()),
            "by_result": [(v, label, summary.by_result[v]) for v, label in Result.choices],
            **KEEP_DAYS,
            "objects": catalog.order(),
            "origins": Origin.choices,
            "results": Result.choices,
            "id_kinds": messagehistory.ID_KINDS.items(),
        },
    )


@requires_right("messages", "R")
def message_report(request):
    """The filtered messages as CSV, streamed from the database."""
    try:
        chosen = MessageFilter.parse(request.GET)
    except FilterError as bad:
        return HttpResponseBadRequest(f"No report: {bad}", content_type="text/plain")
    audit.record(request, "messages.export", "message history", filters=chosen.as_query())
    rows = messagehistory.csv_rows(chosen.messages())
    return csvfile.streaming_response("statesync-messages", messagehistory.CSV_HEADER, rows)


@requires_right("messages", "R")
def message_detail(request, pk: int):
    """Sent Record History: one message's records, each as the state received it, and the
    state's answer (while the body is kept)."""
    message = get_object_or_404(Message, pk=pk)
    records = Paginator(message.items(), RECORDS_PAGE).get_page(request.GET.get("page"))
    sent = sentbodies.read(message, [r.record_id for r in records.object_list])
    return render(
        request,
        "district/message.html",
        {
            "message": message,
            "records": records,
            "rows": [(r, sent.values.get(r.record_id)) for r in records.object_list],
            "sent": sent,
            "resends": Message.objects.filter(origin=Origin.RESEND, origin_ref=message.pk),
            **KEEP_DAYS,
            "can_resend": message.can_resend and has_right(request.user, "messages", "W"),
        },
    )


@require_POST
@requires_right("messages", "W")
def message_resend(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    try:
        upserts, deletes = resend.records_to_resend(message)
        with state_client(retries=1) as client:
            done = resend.resend(message, client)
    except resend.CannotResend as exc:
        flash.error(request, str(exc))
        return redirect("district:message", pk=pk)
    except resend.StateError as exc:
        audit.record(request, "messages.resend", f"message {pk}", sent=False, error=str(exc))
        flash.error(request, f"Not sent: {exc}")
        return redirect("district:message", pk=pk)
    rejected = len(done.result.rejected)
    audit.record(
        request,
        "messages.resend",
        f"message {pk}",
        records=len(upserts) + len(deletes),
        accepted=len(done.result.synced),
        rejected=rejected,
        not_found=len(done.result.not_found),
    )
    flash.success(
        request,
        f"Sent again: {len(done.result.synced)} accepted, {rejected} rejected, "
        f"{len(done.result.not_found)} no longer in the district, {len(done.deleted)} deleted.",
    )
    return redirect("district:message", pk=done.message.pk if done.message else pk)
