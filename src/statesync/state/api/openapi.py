"""The state API's OpenAPI 3.1 document, built from the wire structs so it cannot drift."""

from __future__ import annotations

from functools import cache

import msgspec

from statesync.core import catalog, handoff, wire

REF = "#/components/schemas/{name}"

_ERRORS = {
    "400": "Malformed JSON or an invalid batch or parameter",
    "401": "Missing, unknown or revoked token",
    "403": "The token belongs to another district",
    "404": "No route matches (a path parameter of the wrong type)",
    "405": "Method not allowed",
    "413": "Body over the size limit",
}


def _portable(schema):
    """msgspec's JSON Schema with tuples (prefixItems) as arrays of any of their item types:
    OpenAPI tools still read prefixItems the pre-3.1 way and reject the document."""
    if isinstance(schema, dict):
        if "prefixItems" in schema:
            kinds = [_portable(p) for p in schema["prefixItems"]]
            rest = {k: v for k, v in schema.items() if k not in ("prefixItems", "items")}
            return {**_portable(rest), "items": {"anyOf": kinds}}
        return {k: _portable(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_portable(v) for v in schema]
    return schema


def _error_responses(*codes: str) -> dict:
    return {
        code: {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": {"$ref": REF.format(name="ApiError")}}},
        }
        for code in codes
    }


def _ok(name: str, description: str) -> dict:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(name=name)}}},
        }
    }


NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "The district's 4-digit state number; it must be the token's district.",
    "schema": {"type": "string"},
}


def _int_query(name: str, description: str, minimum: int, maximum: int) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": maximum},
    }


@cache
def document() -> dict:
    # Records are documented as objects; the same record may also be sent as an array in the
    # object's column order (what the district sends), which the description gives.
    batch_types = [wire.typed_batch(n, rows=False) for n in catalog.NAMES]
    types = [
        *batch_types,
        wire.BatchResult,
        wire.DigestPage,
        wire.RecordPage,
        wire.ApiError,
        handoff.ResyncRequestItem,
        handoff.Claim,
        wire.WhoAmI,
        wire.YearReport,
        handoff.DownChanges,
        handoff.Applied,
        handoff.AppliedResult,
    ]
    _, components = msgspec.json.schema_components(types, ref_template=REF)
    components = _portable(components)
    paths: dict = {
        "/api/state/v1/districts/{number}/": {
            "get": {
                "summary": "Which district the token acts for",
                "operationId": "whoami",
                "parameters": [NUMBER],
                "responses": {
                    **_ok("WhoAmI", "The district"),
                    **_error_responses("400", "401", "403"),
                },
            }
        },
        "/api/state/v1/districts/{number}/resync-requests": {
            "get": {
                "summary": "Resync requests the state made of this district, not yet picked up",
                "operationId": "resyncRequests",
                "parameters": [NUMBER],
                "responses": {
                    "200": {
                        "description": "Pending requests, oldest first",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": REF.format(name="ResyncRequestItem")},
                                }
                            }
                        },
                    },
                    **_error_responses("401", "403"),
                },
            }
        },
        "/api/state/v1/districts/{number}/resync-requests/{id}/claim": {
            "post": {
                "summary": "Take a resync request (once); optionally name the district's run",
                "operationId": "claimResyncRequest",
                "parameters": [
                    NUMBER,
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": {"$ref": REF.format(name="Claim")}}},
                },
                "responses": {
                    **_ok("ResyncRequestItem", "Claimed"),
                    "404": {
                        "description": "No such request for this district",
                        "content": {
                            "application/json": {"schema": {"$ref": REF.format(name="ApiError")}}
                        },
                    },
                    "409": {
                        "description": "Already claimed",
                        "content": {
                            "application/json": {"schema": {"$ref": REF.format(name="ApiError")}}
                        },
                    },
                    **_error_responses("400", "401", "403"),
                },
            }
        },
    }
    paths["/api/state/v1/districts/{number}/years/{year}"] = {
        "put": {
            "summary": "Report one school year: scoped or not, its mandatory resyncs, last verify",
            "description": "Replaces what the district said of that year before; the state's "
            "Year Status and Verification Summary show it.",
            "operationId": "reportYear",
            "parameters": [
                NUMBER,
                {
                    "name": "year",
                    "in": "path",
                    "required": True,
                    "description": "School end year (2024 = 2023-2024)",
                    "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": REF.format(name="YearReport")}}
                },
            },
            "responses": {
                **_ok("YearReport", "The report as kept"),
                **_error_responses("400", "401", "403", "404", "413"),
            },
        }
    }
    paths["/api/state/v1/districts/{number}/changes"] = {
        "get": {
            "summary": "The state's values for this district not yet applied, oldest first",
            "description": "State IDs given and state-owned fields changed at the state, for "
            "the district's worker to write into its own database in order, and the fields "
            "the state owns now. An item with an empty field is a notice (a cross-district "
            "conflict).",
            "operationId": "downChanges",
            "parameters": [
                NUMBER,
                _int_query("limit", "At most this many", 1, handoff.MAX_DOWN_CHANGES),
                _int_query("after", "Only changes with a greater ID (the next page)", 0, 2**63 - 1),
            ],
            "responses": {
                **_ok("DownChanges", "Pending changes and the state-owned fields"),
                **_error_responses("400", "401", "403"),
            },
        }
    }
    paths["/api/state/v1/districts/{number}/changes/applied"] = {
        "post": {
            "summary": "Say the district applied the changes in `ids` (or, without `ids`, "
            "every change up to `through`)",
            "operationId": "downChangesApplied",
            "parameters": [NUMBER],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": REF.format(name="Applied")}}},
            },
            "responses": {
                **_ok("AppliedResult", "How many changes this marked applied"),
                **_error_responses("400", "401", "403", "413"),
            },
        }
    }
    for name, batch_type in zip(catalog.NAMES, batch_types, strict=True):
        obj = catalog.OBJECTS[name]
        base = f"/api/state/v1/districts/{{number}}/objects/{name}"
        paths[f"{base}/batch"] = {
            "post": {
                "summary": f"Upsert and delete {name} records",
                "description": f"{obj.description} Idempotent: the same batch twice changes "
                "nothing the second time. Each rejected record comes back with its errors. "
                "A record may also be an array in this column order: "
                f"[{', '.join(obj.columns)}].",
                "operationId": f"batch{name}",
                "parameters": [NUMBER],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": REF.format(name=batch_type.__name__)}
                        }
                    },
                },
                "responses": {
                    **_ok("BatchResult", "Counts and rejections"),
                    **_error_responses("400", "401", "403", "413"),
                },
            }
        }
        paths[f"{base}/digest"] = {
            "get": {
                "summary": f"Digests of the {name} records the state accepted, in ID order",
                "operationId": f"digest{name}",
                "parameters": [
                    NUMBER,
                    _int_query("school_year", "School end year (year-scoped objects)", 2000, 2100),
                    _int_query("after", "Only IDs greater than this", -(2**63), 2**63 - 1),
                    _int_query("limit", "Page size", 1, 50_000),
                ],
                "responses": {
                    **_ok("DigestPage", "A page of [id, digest]"),
                    **_error_responses("400", "401", "403"),
                },
            }
        }
        paths[f"{base}/records"] = {
            "get": {
                "summary": f"The state's accepted copies of some {name} records",
                "description": "Each as {column: value}, in ID order; IDs the state does not "
                "hold are left out. Verify uses it to name the fields that differ.",
                "operationId": f"records{name}",
                "parameters": [
                    NUMBER,
                    {
                        "name": "ids",
                        "in": "query",
                        "required": True,
                        "description": f"1 to {wire.MAX_RECORDS:,} record IDs, comma-separated",
                        "schema": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$"},
                    },
                ],
                "responses": {
                    **_ok("RecordPage", "The records held"),
                    **_error_responses("400", "401", "403"),
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "statesync state ingest API",
            "version": "1",
            "description": "District → state sync. Bearer tokens belong to one district. "
            "Integers are JSON integer literals (7, not 7.0).",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
