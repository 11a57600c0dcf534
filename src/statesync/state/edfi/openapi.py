"""The Ed-Fi metadata a client reads: discovery, dependencies, and OpenAPI documents.

The OpenAPI documents are generated from the resources' structs (`resources.py`) with
msgspec, then named as Ed-Fi names its schemas (`edFi_school`, `edFi_schoolReference`) and
marked with `x-Ed-Fi-isIdentity` on the natural key, which lightbeam reads to find a record
by its key before deleting it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from statesync.state.edfi import descriptors, search
from statesync.state.edfi import resources as r

# Below 7.3, so edfi-api-client pages by offset: cursor paging (Next-Page-Token) is not served.
ODS_API_VERSION = "7.2"
DATA_STANDARD = "5.0.0"
MAX_LIMIT = 500

# Send order: a resource after every resource it refers to.
DEPENDENCY_ORDER = {
    "localEducationAgencies": 1,
    "schools": 2,
    "sessions": 3,
    "calendars": 3,
    "classPeriods": 3,
    "courses": 3,
    "students": 3,
    "bellSchedules": 4,
    "calendarDates": 5,
    "courseOfferings": 4,
    "studentEducationOrganizationAssociations": 4,
    "sections": 5,
    "studentSchoolAssociations": 5,
}


def discovery(base: str) -> dict[str, Any]:
    return {
        "version": ODS_API_VERSION,
        "applicationName": "statesync",
        "informationalVersion": f"statesync's Ed-Fi door (ODS/API {ODS_API_VERSION} compatible)",
        "suite": "3",
        "dataModels": [{"name": "Ed-Fi", "version": DATA_STANDARD}],
        "urls": {
            "dependencies": f"{base}/metadata/data/v3/dependencies",
            "openApiMetadata": f"{base}/metadata/",
            "oauth": f"{base}/oauth/token",
            "dataManagementApi": f"{base}/data/v3/",
            "changeQueries": f"{base}/changeQueries/v1/",
        },
    }


def dependencies() -> list[dict[str, Any]]:
    items = [
        {"resource": f"/ed-fi/{name}", "order": order, "operations": ["Create", "Update"]}
        for name, order in DEPENDENCY_ORDER.items()
    ]
    # Descriptors are the state's code sets: read here, never written.
    items += [
        {"resource": f"/ed-fi/{descriptors.endpoint(t)}", "order": 1, "operations": ["Read"]}
        for t in descriptors.DESCRIPTORS
    ]
    return sorted(items, key=lambda item: (item["order"], item["resource"]))


def metadata(base: str) -> list[dict[str, str]]:
    return [
        {"name": "Resources", "endpointUri": f"{base}/metadata/data/v3/resources/swagger.json"},
        {"name": "Descriptors", "endpointUri": f"{base}/metadata/data/v3/descriptors/swagger.json"},
    ]


def _schema_name(struct_name: str) -> str:
    """`SchoolReference` → `edFi_schoolReference`."""
    return f"edFi_{struct_name[0].lower()}{struct_name[1:]}"


def _rename(value: Any, names: dict[str, str]) -> Any:
    """Ed-Fi's schema names for msgspec's, and an optional field as Ed-Fi writes one: the
    field's own schema, left out of `required` (not `anyOf` it or null, which lightbeam cannot
    follow to a reference)."""
    if isinstance(value, dict):
        options = value.get("anyOf")
        if options and len(options) == 2 and {"type": "null"} in options:
            kept = next(o for o in options if o != {"type": "null"})
            rest = {k: v for k, v in value.items() if k != "anyOf"}
            return _rename({**kept, **rest}, names)
        out = {}
        for key, item in value.items():
            if key == "$ref":
                name = item.rsplit("/", 1)[-1]
                out[key] = f"#/components/schemas/{names.get(name, name)}"
            else:
                out[key] = _rename(item, names)
        return out
    if isinstance(value, list):
        return [_rename(item, names) for item in value]
    return value


def _query_parameters(resource: r.Resource) -> list[dict[str, Any]]:
    """A collection GET's parameters: paging, Change Queries, then get-by-example."""
    return [
        {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}},
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "default": 25, "maximum": MAX_LIMIT},
        },
        {"name": "totalCount", "in": "query", "schema": {"type": "boolean"}},
        {"name": "minChangeVersion", "in": "query", "schema": {"type": "integer"}},
        {"name": "maxChangeVersion", "in": "query", "schema": {"type": "integer"}},
        *(
            {"name": name, "in": "query", "schema": {"type": "string"}}
            for name in query_fields(resource)
        ),
    ]


def _paths_for(resource: r.Resource) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{resource.schema_name}"}
    problem = {"description": "A problem-details body", "content": {"application/problem+json": {}}}
    query = _query_parameters(resource)
    by_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    collection: dict[str, Any] = {
        "get": {
            "operationId": f"get{resource.name}",
            "parameters": query,
            "responses": {
                "200": {
                    "description": "A page of records",
                    "content": {"application/json": {"schema": {"type": "array", "items": ref}}},
                },
                "401": problem,
            },
        }
    }
    if not resource.is_descriptor:
        collection["post"] = {
            "operationId": f"post{resource.name}",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
            "responses": {
                "200": {"description": "Updated"},
                "201": {"description": "Created"},
                "400": problem,
                "409": problem,
            },
        }
    item: dict[str, Any] = {
        "get": {
            "operationId": f"get{resource.name}ById",
            "parameters": by_id,
            "responses": {"200": {"description": "The record"}, "404": problem},
        }
    }
    if not resource.is_descriptor:
        item["delete"] = {
            "operationId": f"delete{resource.name}ById",
            "parameters": by_id,
            "responses": {"204": {"description": "Deleted"}, "404": problem, "409": problem},
        }
        item["put"] = {
            "operationId": f"put{resource.name}",
            "parameters": by_id,
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
            "responses": {"204": {"description": "Updated"}, "400": problem, "404": problem},
        }
    deletes = {
        "get": {
            "operationId": f"deletes{resource.name}",
            "parameters": query[:5],
            "responses": {"200": {"description": "Deleted records' keys"}},
        }
    }
    base = f"/ed-fi/{resource.name}"
    return {base: collection, f"{base}/{{id}}": item, f"{base}/deletes": deletes}


def query_fields(resource: r.Resource) -> list[str]:
    """The names get-by-example takes (reads.searchable says where each is found)."""
    return list(search.searchable(resource))


@cache
def resources_document(base: str) -> dict[str, Any]:
    served = [res for res in r.RESOURCES]
    return _document(base, "Resources", served, descriptor_types=())


@cache
def descriptors_document(base: str) -> dict[str, Any]:
    return _document(base, "Descriptors", [], descriptor_types=tuple(descriptors.DESCRIPTORS))


def descriptor_resources() -> list[r.Resource]:
    return [
        r.Resource(descriptors.endpoint(t), r.Descriptor, keys=(("codeValue", ("codeValue",)),))
        for t in descriptors.DESCRIPTORS
    ]


def _document(
    base: str, title: str, served: list[r.Resource], descriptor_types: tuple[str, ...]
) -> dict[str, Any]:
    structs = [res.struct for res in served] or [r.Descriptor]
    _, components = msgspec.json.schema_components(structs, ref_template="{name}")
    names = {res.struct.__name__: res.schema_name for res in served}
    for name in components:
        names.setdefault(name, _schema_name(name))
    schemas = {names[name]: _rename(schema, names) for name, schema in components.items()}
    for res in served:
        _mark_identity(schemas, res)
    _mark_collection_items(schemas, {res.schema_name for res in served})
    paths: dict[str, Any] = {}
    for res in served:
        paths.update(_paths_for(res))
    if descriptor_types:
        descriptor = schemas.pop(names["Descriptor"])
        for res in descriptor_resources():
            schema = dict(descriptor)
            schema["properties"] = {
                "id": {"type": "string"},
                **{
                    k: ({**v, "x-Ed-Fi-isIdentity": True} if k in ("namespace", "codeValue") else v)
                    for k, v in descriptor["properties"].items()
                },
            }
            schemas[res.schema_name] = schema
            paths.update(_paths_for(res))
    return {
        "openapi": "3.0.1",
        "info": {
            "title": f"statesync Ed-Fi {title}",
            "version": ODS_API_VERSION,
            "description": "Generated from statesync's Ed-Fi door "
            f"(Data Standard {DATA_STANDARD}); "
            "only the resources and fields the state reads are described.",
        },
        "servers": [{"url": f"{base}/data/v3"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "oauth2_client_credentials": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {"tokenUrl": f"{base}/oauth/token", "scopes": {}}
                    },
                }
            },
        },
        "security": [{"oauth2_client_credentials": []}],
    }


def _mark_collection_items(schemas: dict[str, Any], resources: set[str]) -> None:
    """A collection item (a school's grade level) and a reference are identified by their
    required fields, as in Ed-Fi's own documents: lightbeam's uniqueness check reads these."""
    for name, schema in schemas.items():
        if name in resources:
            continue
        for field in schema.get("required", []):
            schema["properties"][field]["x-Ed-Fi-isIdentity"] = True


def _mark_identity(schemas: dict[str, Any], resource: r.Resource) -> None:
    schema = schemas[resource.schema_name]
    properties = schema["properties"]
    properties.setdefault("id", {"type": "string", "description": "The state's ID of the record"})
    for _, path in resource.keys:
        if len(path) == 1:
            properties[path[0]]["x-Ed-Fi-isIdentity"] = True
        else:
            ref_name = properties[path[0]]["$ref"].rsplit("/", 1)[1]
            schemas[ref_name]["properties"][path[1]]["x-Ed-Fi-isIdentity"] = True
