"""Recording who did what, from where."""

from __future__ import annotations

import getpass
import ipaddress
from typing import Any

from django.conf import settings

from statesync.access.models import AuditEntry


def client_address(request) -> str | None:
    """The client's own address: the web server's peer, or, when that peer is a trusted proxy
    (settings.TRUSTED_PROXIES), the nearest address in X-Forwarded-For that is not one.

    Failed logins lock out a user and address together (django-axes calls this too): behind a
    TLS terminator every client's peer is the terminator, so one stranger's guesses would lock
    the user out for everybody."""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXIES
    if peer not in trusted:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a malformed chain: trust nothing in it
        if address not in trusted:
            return address
    return peer


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


def record_by_district(
    request, district, action: str, target: str = "", *, held: str = "API token", **detail: Any
):
    """Write one audit entry at the state (or the router) for what a district's token (`held`:
    its router credential there) did through the API."""
    return AuditEntry.objects.create(
        username=f"district {district.code} ({held})",
        action=action,
        target=target[:200],
        detail=detail,
        address=client_address(request),
        via="api",
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
