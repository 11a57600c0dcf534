"""A district's Ed-Fi door on the state's district page: its clients, issued and revoked."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from statesync.access import audit
from statesync.access.decorators import requires_right
from statesync.state.models import District, EdfiClient


@requires_right("state", "A")
def edfi_client(request: HttpRequest, number: str) -> HttpResponse:
    """Issue a client (its secret shown once, on this answer only), rotate or revoke one."""
    district = get_object_or_404(District, number=number)
    if request.method != "POST":
        return redirect("state:district", number=number)
    action = request.POST.get("action", "")
    if action == "issue":
        client, secret = EdfiClient.issue(district, request.POST.get("label", "")[:100])
        audit.record(request, "state.edfi.client.issue", f"Ed-Fi client {client.key}", owner=number)
        return render(
            request,
            "state/edfi_secret.html",
            {"district": district, "client": client, "secret": secret},
        )
    found = district.edfi_clients.filter(key=request.POST.get("key", ""), revoked_at=None).first()
    if found is None:
        messages.error(request, "No live Ed-Fi client of this district has that key.")
        return redirect("state:district", number=number)
    client = found
    if action == "rotate":
        secret = client.rotate()
        audit.record(
            request, "state.edfi.client.rotate", f"Ed-Fi client {client.key}", owner=number
        )
        return render(
            request,
            "state/edfi_secret.html",
            {"district": district, "client": client, "secret": secret},
        )
    if action == "revoke":
        client.revoke()
        audit.record(
            request, "state.edfi.client.revoke", f"Ed-Fi client {client.key}", owner=number
        )
        messages.success(request, f"Revoked Ed-Fi client {client.key}; its tokens stopped working.")
        return redirect("state:district", number=number)
    messages.error(request, f"Unknown action {action!r}: issue, rotate or revoke.")
    return redirect("state:district", number=number)
