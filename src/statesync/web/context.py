from django.conf import settings


def site(request) -> dict:
    """What every page's header needs."""
    return {"statesync_role": settings.ROLE}
