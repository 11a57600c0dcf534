"""Student Records Transfer at the state: every request between districts, its state and age,
and the districts slow to answer. The state sees who asked for whom, never a document."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Q
from django.shortcuts import render
from django.utils import timezone

from statesync.access.decorators import requires_right
from statesync.core.transfers import Status
from statesync.state.models import Transfer

PAGE_SIZE = 50


@requires_right("statetransfers", "R")
def transfers(request):
    chosen = request.GET.get("status", "")
    found = Transfer.objects.select_related("requesting", "former")
    if chosen in Status.LABELS:
        found = found.filter(status=chosen)
    page = Paginator(found.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "state/transfers.html",
        {
            "page": page,
            "chosen": chosen,
            "statuses": Status.LABELS.items(),
            "counts": dict(Transfer.objects.values_list("status").annotate(n=Count("id"))),
            "slow": slow_districts(),
        },
    )


def slow_districts() -> list[dict]:
    """Former districts with requests waiting, the longest waiting first."""
    now = timezone.now()
    waiting = Q(status=Status.ROUTED)
    rows = (
        Transfer.objects.filter(former__isnull=False)
        .values("former__number", "former__name")
        .annotate(
            waiting=Count("id", filter=waiting),
            oldest=Min("routed_at", filter=waiting),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            latest_answer=Max("answered_at"),
        )
        .filter(waiting__gt=0)
        .order_by("oldest")
    )
    return [{**row, "days": (now - row["oldest"]).days} for row in rows]
