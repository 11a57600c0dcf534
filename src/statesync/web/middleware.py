import zoneinfo
from urllib.parse import unquote

from django.http import HttpResponseBadRequest
from django.utils import timezone

from statesync.core import wire


class BrowserTimeZoneMiddleware:
    """Show times in the user's own time zone, which the browser reports in the `tz` cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = unquote(request.COOKIES.get("tz", ""))
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in a query parameter or form field gets a 400 that names the field.

    No database stores NUL faithfully (PostgreSQL refuses it in text outright), so it must not
    reach a query or a row; refusing it here covers every page, report and form at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forms = ("application/x-www-form-urlencoded", "multipart/form-data")
        sources = [("query parameter", request.GET)]
        if request.method == "POST" and request.content_type in forms:
            sources.append(("form field", request.POST))
        for kind, params in sources:
            for key, values in params.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return refuse_nul(request, f"the {kind} {key!r} contains a NUL character")
        return self.get_response(request)


def refuse_nul(request, detail: str):
    if request.path.startswith("/api/"):
        body = wire.encode(wire.ApiError("bad request", detail))
        return HttpResponseBadRequest(body, content_type="application/json")
    return HttpResponseBadRequest(f"Bad request: {detail}.", content_type="text/plain")
