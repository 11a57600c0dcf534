"""The Ed-Fi API's views, under /edfi/ (docs/EDFI.md).

Thin: each view authenticates, reads its parameters, and hands the work to `intake` (writes)
or `reads` (GETs). Every error is an Ed-Fi problem-details body.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from statesync.access.audit import client_address
from statesync.access.models import AuditEntry
from statesync.core.db.routers import state_db
from statesync.core.http.api import json_response
from statesync.state.edfi import intake, openapi, problems, reads
from statesync.state.edfi.problems import Problem
from statesync.state.models import EdfiClient, EdfiToken
from statesync.state.models.edfi import TOKEN_LIFETIME

View = Callable[..., HttpResponse]
RETRY_AFTER = 1  # seconds a client waits when the database is busy


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    answer = json_response(value, status)
    for name, header in (headers or {}).items():
        answer[name] = header
    return answer


def base_url(request: HttpRequest) -> str:
    """The API's base as the client reached it: every URL the metadata gives starts here."""
    return request.build_absolute_uri("/edfi").rstrip("/")


def edfi_view(view: View) -> View:
    """Answer a Problem as problem details, and a busy database as 503 with Retry-After."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Problem as problem:
            return problem.response()
        except OperationalError as exc:
            if "locked" not in str(exc) and "could not serialize" not in str(exc):
                raise
            return problems.busy(RETRY_AFTER).response()

    return wrapper


def authenticate(request: HttpRequest) -> EdfiClient:
    """The client of the request's bearer token, or a 401."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise problems.unauthorized("send `Authorization: Bearer <token>` from /edfi/oauth/token")
    client = EdfiToken.authenticate(token.strip())
    if client is None:
        raise problems.unauthorized("the token is unknown, expired or revoked; get a new one")
    if client.last_used_at is None:  # not recorded within the last minute
        now = timezone.now()
        EdfiClient.objects.using(state_db()).filter(pk=client.pk).update(last_used_at=now)
    return client


@edfi_view
def discovery(request: HttpRequest) -> HttpResponse:
    return _json(openapi.discovery(base_url(request)))


@edfi_view
def dependencies(request: HttpRequest) -> HttpResponse:
    return _json(openapi.dependencies())


@edfi_view
def metadata(request: HttpRequest) -> HttpResponse:
    return _json(openapi.metadata(base_url(request)))


@edfi_view
def resources_swagger(request: HttpRequest) -> HttpResponse:
    return _json(openapi.resources_document(base_url(request)))


@edfi_view
def descriptors_swagger(request: HttpRequest) -> HttpResponse:
    return _json(openapi.descriptors_document(base_url(request)))


def _oauth_error(status: int, error: str, description: str) -> HttpResponse:
    answer = _json({"error": error, "error_description": description}, status=status)
    if status == 401:
        answer["WWW-Authenticate"] = 'Basic realm="statesync Ed-Fi"'
    answer["Cache-Control"] = "no-store"
    return answer


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """OAuth2 client credentials (RFC 6749 §4.4): HTTP Basic, or the form's client_id/secret."""
    if request.method != "POST":
        return _oauth_error(405, "invalid_request", "POST the token request")
    form = request.POST
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    key, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error(401, "invalid_client", "the Basic credentials are not readable")
    client = EdfiClient.authenticate(key, secret) if key and secret else None
    if client is None:
        return _oauth_error(401, "invalid_client", "unknown client, wrong secret, or revoked")
    answer = _json(
        {
            "access_token": EdfiToken.issue(client),
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "token_type": "bearer",
        }
    )
    answer["Cache-Control"] = "no-store"
    return answer


@edfi_view
def collection(request: HttpRequest, resource: str) -> HttpResponse:
    client = authenticate(request)
    served = reads.served(resource)
    if request.method == "GET":
        items, total = reads.page(client, served, request.GET)
        return _json(items, headers={"Total-Count": str(total)} if total is not None else None)
    if request.method == "POST":
        if served.is_descriptor:
            raise problems.forbidden(f"{resource} are the state's code sets; they are read-only")
        outcome = intake.upsert(_writer(client), served, _body(request))
        location = f"{base_url(request)}/data/v3/ed-fi/{resource}/{outcome.doc.resource_id.hex}"
        answer = HttpResponse(status=outcome.status)
        answer["Location"] = location
        answer["ETag"] = f'"{outcome.doc.change_version}"'
        return answer
    raise problems.method_not_allowed(request.method or "", request.path, ["GET", "POST"])


@edfi_view
def item(request: HttpRequest, resource: str, resource_id: str) -> HttpResponse:
    client = authenticate(request)
    served = reads.served(resource)
    ident = _uuid(resource, resource_id)
    if request.method == "GET":
        return _json(reads.one(client, served, ident))
    if request.method == "DELETE":
        district = _writer(client)
        intake.delete(district, served, ident)
        AuditEntry.objects.create(
            username=f"Ed-Fi client {client.key}",
            action="state.edfi.delete",
            target=f"{resource}/{ident.hex}",
            detail={"district": district.number},
            address=client_address(request),
            via="api",
        )
        return HttpResponse(status=204)
    if request.method == "PUT":
        outcome = intake.replace(_writer(client), served, ident, _body(request))
        answer = HttpResponse(status=204)
        answer["ETag"] = f'"{outcome.doc.change_version}"'
        return answer
    raise problems.method_not_allowed(request.method or "", request.path, ["GET", "PUT", "DELETE"])


@edfi_view
def deletes(request: HttpRequest, resource: str) -> HttpResponse:
    client = authenticate(request)
    items, total = reads.deletes(client, reads.served(resource), request.GET)
    return _json(items, headers={"Total-Count": str(total)} if total is not None else None)


@edfi_view
def available_change_versions(request: HttpRequest) -> HttpResponse:
    client = authenticate(request)
    return _json(reads.available_change_versions(client))


@edfi_view
def not_served(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise problems.not_found(f"{request.path} is not a resource this Ed-Fi API serves")


def _writer(client: EdfiClient):
    if client.district is None:
        raise problems.forbidden("the state's reader client reads; it cannot write")
    return client.district


def _body(request: HttpRequest) -> bytes:
    """The body, refused by its Content-Length before a byte of an oversized one is read."""
    limit = settings.EDFI_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise problems.bad_request("Content-Length must be a number") from None
    if declared > limit:
        raise problems.too_large(declared, limit)
    body = request.body
    if len(body) > limit:
        raise problems.too_large(len(body), limit)
    return body


def _uuid(resource: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise problems.not_found(f"no {resource} record has id {value!r}") from None
