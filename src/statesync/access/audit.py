"""Recording who did what, from where."""

from __future__ import annotations

from typing import Any

from statesync.access.models import AuditEntry


def client_address(request) -> str | None:
    """The client's address as the web server saw it (no proxy headers are trusted)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    request, action: str, target: str = "", via: str = "web", user=None, **detail: Any
) -> AuditEntry:
    """Write one audit entry for an action by the request's user (or `user`)."""
    actor = user or (request.user if request is not None else None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEntry.objects.create(
        user=actor,
        username=actor.get_username() if actor else "",
        action=action,
        target=target[:200],
        detail=detail,
        address=client_address(request),
        via=via,
    )
