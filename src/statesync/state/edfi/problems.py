"""Ed-Fi's problem-details errors (RFC 9457 with the ODS/API's `type` URNs and fields).

Real clients show `validationErrors` (keyed by JSON path) and `errors`; an empty one is left
out, because lightbeam shows nothing when it finds one present but empty. `correlationId` is
the request's ID, which finds the request in the server's log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec
from django.http import HttpResponse

from statesync.core import wire
from statesync.core.http.requestid import get_request_id
from statesync.state.edfi import resources as r

CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An Ed-Fi error answer."""

    def __init__(
        self,
        status: int,
        type_: str,
        title: str,
        detail: str,
        validation_errors: dict[str, list[str]] | None = None,
        errors: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status, self.type, self.title, self.detail = status, type_, title, detail
        self.validation_errors = validation_errors or {}
        self.errors = errors or []
        self.headers = headers or {}

    def as_dict(self) -> dict:
        body: dict = {
            "detail": self.detail,
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "correlationId": get_request_id(),
        }
        if self.validation_errors:
            body["validationErrors"] = self.validation_errors
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self) -> HttpResponse:
        answer = HttpResponse(
            msgspec.json.encode(self.as_dict()), status=self.status, content_type=CONTENT_TYPE
        )
        for name, value in self.headers.items():
            answer[name] = value
        return answer


def bad_request(detail: str) -> Problem:
    return Problem(400, "urn:ed-fi:api:bad-request", "Bad Request", detail, errors=[detail])


def validation(errors: dict[str, list[str]]) -> Problem:
    return Problem(
        400,
        "urn:ed-fi:api:bad-request:data-validation-failed",
        "Data Validation Failed",
        "Data validation failed. See 'validationErrors' for details.",
        validation_errors=errors,
    )


def unresolved(*messages: str) -> Problem:
    return Problem(
        409,
        "urn:ed-fi:api:data-conflict:unresolved-reference",
        "Unresolved Reference",
        "The referenced item does not exist.",
        errors=list(messages),
    )


def dependent(resource: str, referring: Sequence[str]) -> Problem:
    message = f"this {resource} record is referred to by {', '.join(referring)} records"
    return Problem(
        409,
        "urn:ed-fi:api:data-conflict:dependent-item-exists",
        "Dependent Item Exists",
        "The requested action cannot be performed because this item is referenced by "
        "existing items.",
        errors=[message],
    )


def not_found(detail: str) -> Problem:
    return Problem(404, "urn:ed-fi:api:not-found", "Not Found", detail)


def unauthorized(detail: str) -> Problem:
    problem = Problem(401, "urn:ed-fi:api:security:authentication", "Authentication Failed", detail)
    problem.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return problem


def forbidden(detail: str) -> Problem:
    return Problem(
        403, "urn:ed-fi:api:security:authorization", "Authorization Denied", detail, errors=[detail]
    )


def method_not_allowed(method: str, path: str, allowed: Sequence[str]) -> Problem:
    problem = Problem(
        405,
        "urn:ed-fi:api:method-not-allowed",
        "Method Not Allowed",
        f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
    )
    problem.headers["Allow"] = ", ".join(allowed)
    return problem


def too_large(size: int, limit: int) -> Problem:
    return Problem(
        413,
        "urn:ed-fi:api:bad-request:payload-too-large",
        "Payload Too Large",
        f"the body is {size} bytes; an Ed-Fi record may be at most {limit} bytes",
    )


def busy(retry_after: int) -> Problem:
    # lightbeam retries a 5xx with backoff but never a 429: throttling is a 503.
    problem = Problem(
        503,
        "urn:ed-fi:api:service-unavailable",
        "Service Unavailable",
        f"the state is busy; try again in {retry_after} s",
    )
    problem.headers["Retry-After"] = str(retry_after)
    return problem


def rejected(resource: r.Resource, obj: str, errors: Sequence[wire.RecordError]) -> Problem:
    """The state's rules refused a record: its rule codes and the error log's messages, keyed
    by where in the document each field came from; a missing parent is a 409."""
    if all(e.code == wire.RuleCode.PARENT for e in errors):
        return unresolved(*(f"{e.code}: {e.message}" for e in errors))
    keyed: dict[str, list[str]] = {}
    for e in errors:
        keyed.setdefault(resource.paths.get(e.field, "$"), []).append(f"{e.code}: {e.message}")
    return validation(keyed)


_PATH = re.compile(r" - at `(\$[^`]*)`$")


def split_path(message: str) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `str` - at `$.schoolId`" → ("$.schoolId", "Expected …")."""
    match = _PATH.search(message)
    path, text = (match[1], message[: match.start()]) if match else ("$", message)
    missing = re.fullmatch(r"Object missing required field `([^`]+)`", text)
    if missing:
        return f"{path}.{missing[1]}", f"{missing[1]} is required"
    return path, text
