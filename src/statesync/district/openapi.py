"""The district API's OpenAPI document (personal tokens; same style as the state API's)."""

from __future__ import annotations

from functools import cache

import msgspec
from django.http import HttpRequest, HttpResponse

from statesync import wire
from statesync.district.api import ResyncBody, SelectiveBody
from statesync.web.api import json_response

REF = "#/components/schemas/{name}"
ERROR = {"application/json": {"schema": {"$ref": REF.format(name="ApiError")}}}
ANY_OBJECT = {"application/json": {"schema": {"type": "object"}}}


def _errors(*codes: str) -> dict:
    meaning = {
        "400": "Malformed JSON or invalid request",
        "401": "Missing, unknown or revoked personal token",
        "403": "Your user lacks the tool right this call needs",
        "404": "No such run or sync",
        "413": "Body or ID list over the limit",
    }
    return {c: {"description": meaning[c], "content": ERROR} for c in codes}


def _int_path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


@cache
def document() -> dict:
    _, components = msgspec.json.schema_components(
        [ResyncBody, SelectiveBody, wire.ApiError], ref_template=REF
    )
    body = lambda name: {  # noqa: E731
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(name=name)}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "statesync district API",
            "version": "1",
            "description": "Automation with personal tokens (Profile page). Each call needs "
            "the tool right named in its description.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/district/v1/resync": {
                "post": {
                    "summary": "Queue a batch resync",
                    "operationId": "startResync",
                    "description": "Needs R on Resync State Data - Batch.",
                    "requestBody": body("ResyncBody"),
                    "responses": {
                        "202": {"description": "Queued run", "content": ANY_OBJECT},
                        **_errors("400", "401", "403"),
                    },
                }
            },
            "/api/district/v1/runs/{id}": {
                "get": {
                    "summary": "A run's status and counts",
                    "operationId": "runStatus",
                    "description": "Needs R on Resync State Data - Batch.",
                    "parameters": [_int_path("id")],
                    "responses": {
                        "200": {"description": "The run", "content": ANY_OBJECT},
                        **_errors("401", "403", "404"),
                    },
                }
            },
            "/api/district/v1/runs/{id}/errors": {
                "get": {
                    "summary": "A run's error-log entries, in pages",
                    "operationId": "runErrors",
                    "description": "Needs R on Error Log.",
                    "parameters": [
                        _int_path("id"),
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                        },
                    ],
                    "responses": {
                        "200": {"description": "Entries", "content": ANY_OBJECT},
                        **_errors("400", "401", "403", "404"),
                    },
                }
            },
            "/api/district/v1/selective-sync": {
                "post": {
                    "summary": "Sync persons or enrollments by ID",
                    "operationId": "selectiveSync",
                    "description": "Needs W on Resync State Data - Selective Sync. Up to 200 IDs "
                    "answer at once (200); more run in the worker (202, poll the sync).",
                    "requestBody": body("SelectiveBody"),
                    "responses": {
                        "200": {"description": "Done", "content": ANY_OBJECT},
                        "202": {"description": "Queued", "content": ANY_OBJECT},
                        **_errors("400", "401", "403", "413"),
                    },
                }
            },
            "/api/district/v1/selective-sync/{id}": {
                "get": {
                    "summary": "One selective sync's outcome",
                    "operationId": "selectiveStatus",
                    "description": "Needs R on Resync State Data - Selective Sync.",
                    "parameters": [_int_path("id")],
                    "responses": {
                        "200": {"description": "The sync", "content": ANY_OBJECT},
                        **_errors("401", "403", "404"),
                    },
                }
            },
        },
    }


def openapi(request: HttpRequest) -> HttpResponse:
    return json_response(document())
