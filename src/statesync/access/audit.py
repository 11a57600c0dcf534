"""Recording who did what, from where."""

from __future__ import annotations

import getpass
from typing import Any

from statesync.access.models import AuditEntry


def client_address(request) -> str | None:
    """The client's address as the web server saw it (no proxy headers are trusted)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def operating_system_user() -> str:
    """Who runs a command line: the operating-system account (there is no signed-in user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return "unknown"


def record_command(action: str, target: str = "", **detail: Any) -> AuditEntry:
    """Write one audit entry for an action taken through the command line."""
    return AuditEntry.objects.create(
        username=f"{operating_system_user()} (command line)"[:150],
        action=action,
        target=target[:200],
        detail=detail,
        via="cli",
    )


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


def record_refused_request(
    method: str, path: str, address: str | None, reason: str, via: str, **detail: Any
) -> AuditEntry:
    """Write one audit entry for a request refused before anyone was known (nothing was done)."""
    return AuditEntry.objects.create(
        action="request.refused",
        target=f"{method} {path}"[:200],
        detail={"reason": reason, **detail},
        address=address,
        via=via,
    )


def record_by_the_state(action: str, target: str = "", **detail: Any) -> AuditEntry:
    """Write one audit entry for work the state asked a district's worker to do."""
    return AuditEntry.objects.create(
        username="the state (request)",
        action=action,
        target=target[:200],
        detail=detail,
        via="state",
    )
