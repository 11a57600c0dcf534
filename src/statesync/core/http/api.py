"""Helpers shared by statesync's JSON APIs: errors as JSON, bounded bodies, JSON 404 and 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.http.request import RawPostDataException
from django.template import loader
from django.views import defaults

from statesync.core import wire
from statesync.core.http.requestid import get_request_id

T = TypeVar("T")


class ApiProblem(Exception):
    """An answer other than success: status, a short error, and what to do about it."""

    def __init__(self, status: int, error: str, detail: str = ""):
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


def json_response(payload, status: int = 200) -> HttpResponse:
    return HttpResponse(wire.encode(payload), status=status, content_type="application/json")


def read_body(request: HttpRequest) -> bytes:
    """The request body, refused before reading when it is over the limit."""
    limit = settings.API_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiProblem(400, "bad Content-Length", "Content-Length must be a number") from None
    if length > limit:
        raise ApiProblem(413, "payload too large", f"{length} bytes; the limit is {limit} bytes")
    try:
        return request.body
    except RequestDataTooBig:
        raise ApiProblem(413, "payload too large", f"the limit is {limit} bytes") from None
    except RawPostDataException:  # read as a form already: it was sent as one
        raise ApiProblem(
            400,
            "not JSON",
            f"the body was sent as a form ({request.content_type}); send JSON, with "
            "Content-Type: application/json",
        ) from None


def malformed(body: bytes, exc: Exception) -> ApiProblem:
    """A 400 for a body that cannot be read as JSON: first whether it is UTF-8 at all (JSON must
    be), then what the decoder said."""
    try:
        body.decode()
    except UnicodeDecodeError as bad:
        detail = f"the body is not valid UTF-8 ({bad.reason} at byte {bad.start})"
        return ApiProblem(400, "malformed JSON", detail)
    return ApiProblem(400, "malformed JSON", str(exc))


def decoded(request: HttpRequest, kind: type[T], invalid: str, empty: bytes = b"") -> T:
    """The request's JSON body as `kind`, or a 400: `invalid` with why, or malformed JSON."""
    return decoding(
        read_body(request) or empty, lambda body: msgspec.json.decode(body, type=kind), invalid
    )


def decoding(body: bytes, decode: Callable[[bytes], T], invalid: str) -> T:
    """`decode(body)`, or a 400 that says why: `invalid` with what the decoder found wrong,
    malformed JSON, or JSON nested too deeply to read."""
    try:
        return decode(body)
    except msgspec.ValidationError as exc:  # a DecodeError too: test it first
        raise ApiProblem(400, invalid, str(exc)) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise malformed(body, exc) from None
    except RecursionError:
        raise ApiProblem(400, invalid, "the JSON is nested too deeply") from None


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: JSON under /api/, the site's page elsewhere."""
    if _is_api(request):
        return json_response(
            wire.ApiError("not found", f"no API route matches {request.path}"), status=404
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON under /api/, a plain page elsewhere; both give the request ID that finds the
    traceback in the server's log (the details stay there)."""
    request_id = getattr(request, "request_id", "") or get_request_id()
    if _is_api(request):
        detail = f"the server failed; its log has the error under request {request_id}"
        error = wire.ApiError("internal error", detail, request_id=request_id)
        return json_response(error, status=500)
    page = loader.get_template("500.html").render({"request_id": request_id})
    return HttpResponseServerError(page)
