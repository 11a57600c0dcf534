"""What statesync's two JSON APIs share, on django-ninja: every failure is the same
`{"error", "detail"}` body (wire.ApiError) with a 4xx that says what was wrong, and the
OpenAPI document can describe bodies the wire's msgspec structs define."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from statesync.core import wire
from statesync.core.http.api import ApiProblem, json_response, malformed

REF = "#/components/schemas/{name}"


class ApiErrorOut(Schema):
    """wire.ApiError, as ninja documents a response."""

    error: str
    detail: str = ""


class JsonApi(NinjaAPI):
    """A NinjaAPI whose every error is a wire.ApiError; `structs` are msgspec types whose
    schemas the document holds (refer to them with `ref(…)` in an operation's openapi_extra)."""

    def __init__(self, *, token_name: str, structs: Iterable[type] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token_name = token_name
        self.structs = list(structs)
        for kind, handler in (
            (ApiProblem, self._problem),
            (AuthenticationError, self._unauthenticated),
            (HttpError, self._http_error),
            (ValidationError, self._invalid),
            (RequestDataTooBig, self._too_big),
        ):
            self.add_exception_handler(kind, handler)  # type: ignore[arg-type]

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        if self.structs:
            _, components = msgspec.json.schema_components(self.structs, ref_template=REF)
            schema["components"].setdefault("schemas", {}).update(portable(components))
        return schema

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if pattern.callback is not None:
                pattern.callback = _json_not_allowed(pattern.callback)
        return patterns, app_name, namespace

    # Errors --------------------------------------------------------------------------------

    def _answer(self, status: int, error: str, detail: str) -> HttpResponse:
        response = json_response(wire.ApiError(error, detail), status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="statesync"'
        return response

    def _problem(self, request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        return self._answer(exc.status, exc.error, exc.detail)

    def _unauthenticated(self, request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self._answer(401, "invalid token", "the token is unknown or revoked")
        return self._answer(
            401, "missing token", f"send 'Authorization: Bearer <{self.token_name}>'"
        )

    def _http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        error = HTTP_ERRORS.get(exc.status_code, "error")
        detail = exc.message
        if detail.startswith("Cannot parse request body"):
            not_json = ValueError("the body is not valid JSON")
            error, detail = "malformed JSON", malformed(request.body, not_json).detail
        return self._answer(exc.status_code, error, detail)

    def _invalid(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors
        )
        return self._answer(400, "invalid request", detail)

    def _too_big(self, request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return self._answer(413, "payload too large", str(exc) or "the body is over the size limit")


HTTP_ERRORS = {400: "invalid request", 403: "forbidden", 404: "not found", 413: "too large"}


def ref(name: str) -> dict[str, str]:
    """A JSON Schema reference to the struct `name` in the document's components."""
    return {"$ref": REF.format(name=name)}


def json_body(name: str, required: bool = True) -> dict[str, Any]:
    """An operation's requestBody (for its openapi_extra): JSON shaped as the struct `name`."""
    return {"required": required, "content": {"application/json": {"schema": ref(name)}}}


def json_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One response of an operation (for its openapi_extra's responses)."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def portable(schema: Any) -> Any:
    """msgspec's JSON Schema with tuples (prefixItems) as arrays of any of their item types:
    OpenAPI tools still read prefixItems the pre-3.1 way and reject the document."""
    if isinstance(schema, dict):
        if "prefixItems" in schema:
            kinds = [portable(p) for p in schema["prefixItems"]]
            rest = {k: v for k, v in schema.items() if k not in ("prefixItems", "items")}
            return {**portable(rest), "items": {"anyOf": kinds}}
        return {k: portable(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [portable(v) for v in schema]
    return schema


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a method a path does not take in plain text: say it as the API does."""

    @functools.wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response["Allow"]
        refusal = json_response(
            wire.ApiError("method not allowed", f"use {allowed.replace(', ', ' or ')} on this URL"),
            405,
        )
        refusal["Allow"] = allowed
        return refusal

    return answer
