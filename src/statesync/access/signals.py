"""Logins, logouts and failed logins are audited, whichever door they came through."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from statesync.access import audit


def _door(request: HttpRequest | None) -> str:
    return "admin" if request is not None and request.path.startswith("/admin/") else "web"


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(request, "login", f"user {user.get_username()}", via=_door(request), user=user)


def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:  # logging out when not logged in changes nothing
        audit.record(
            request, "logout", f"user {user.get_username()}", via=_door(request), user=user
        )


def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # `credentials` has the password scrubbed by Django; only the name is kept.
    username = str(credentials.get("username", ""))[:150]
    audit.record(request, "login.failed", f"user {username}", via=_door(request), username=username)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="audit-login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
