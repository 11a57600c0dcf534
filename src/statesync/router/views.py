"""The router's pages, for its own people: the registry (add a district, revoke its
credentials) and every request relayed — who asked whom, its status and age, never what a
packet holds."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.core.exchange import TERMS
from statesync.core.transfers import Status
from statesync.router import registry
from statesync.router.models import TERMS_VERSION, Member, Transfer

PAGE_SIZE = 50


@requires_right("router", "R")
def districts(request):
    members = Member.objects.prefetch_related("places", "credentials")
    return render(
        request,
        "router/districts.html",
        {"members": members, "terms": TERMS, "terms_version": TERMS_VERSION},
    )


@require_POST
@requires_right("router", "W")
def district_add(request):
    try:
        member, token = registry.invite(
            request.POST.get("name", ""), request.POST.get("state", ""), request.user.username
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("router:districts")
    audit.record(request, "router.add-district", member.code, name=member.name)
    return render(request, "router/token.html", {"member": member, "token": token})


@require_POST
@requires_right("router", "W")
def district_revoke(request, pk: int):
    member = get_object_or_404(Member, pk=pk)
    revoked = member.revoke()
    audit.record(request, "router.revoke", member.code, revoked=revoked)
    messages.success(request, f"{member.code}: {revoked} credential(s) revoked.")
    return redirect("router:districts")


@requires_right("router", "R")
def transfers(request):
    chosen = request.GET.get("status", "")
    found = Transfer.objects.select_related("requesting", "former")
    if chosen in Status.LABELS:
        found = found.filter(status=chosen)
    page = Paginator(found.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(Transfer.objects.values_list("status").annotate(n=Count("id")))
    return render(
        request,
        "router/transfers.html",
        {"page": page, "chosen": chosen, "statuses": Status.LABELS.items(), "counts": counts},
    )
