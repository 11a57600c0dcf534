"""Request IDs: every request gets one, every log line of it carries it, every answer says it.

An operator handed "request 3f2a9c…" by a user finds the traceback in the server's log with
that ID. A sane `X-Request-ID` from a proxy in front is kept, so one ID follows the request.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def get_request_id() -> str:
    """The ID of the request this thread is serving ("-" outside a request)."""
    return _current.get()


class RequestIdMiddleware:
    """Give the request an ID, and the answer an `X-Request-ID` header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _SANE.fullmatch(offered) else uuid.uuid4().hex[:16]
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's ID on every log record (as `request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or get_request_id()
        return True
