"""What every page's header needs from the district edition."""

from __future__ import annotations

from django.http import HttpRequest

from statesync.district.models import Notification


def notifications(request: HttpRequest) -> dict:
    """The signed-in user's unread notification count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.unread_count(user)}
