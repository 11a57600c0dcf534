from django.conf import settings


def site(request) -> dict:
    """What every page's header needs."""
    context = {"statesync_role": settings.ROLE}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and settings.ROLE in ("district", "both"):
        from statesync.district.models import Notification

        context["unread_notifications"] = Notification.unread_count(user)
    return context
