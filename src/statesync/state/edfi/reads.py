"""Reads through the Ed-Fi door: pages, one record, Change Queries' versions and deletes.

A district's client reads only its own district's records; the state's reader client reads
every district's, narrowed by `localEducationAgencyId`. Pages are sliced in the database.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Max, QuerySet
from django.http import QueryDict

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.edfi import descriptors, openapi, problems, search
from statesync.state.edfi import resources as r
from statesync.state.edfi.mapping import RESOURCES
from statesync.state.edfi.store import natural_key
from statesync.state.models import EdfiChange, EdfiClient, EdfiDocument, copy_model

PAGING = ("offset", "limit", "totalCount", "minChangeVersion", "maxChangeVersion")
DEFAULT_LIMIT = 25
DESCRIPTOR_RESOURCES = {res.name: res for res in openapi.descriptor_resources()}
STATE_SYSTEM = descriptors.uri("StudentIdentificationSystemDescriptor", "State")


def served(name: str) -> r.Resource:
    """The served resource called `name`, or a 404 that says which are."""
    found = RESOURCES.get(name) or DESCRIPTOR_RESOURCES.get(name)
    if found is None:
        raise problems.not_found(
            f"/ed-fi/{name} is not a resource this Ed-Fi API serves; it serves "
            f"{', '.join(RESOURCES)} and the descriptors they use (see /edfi/metadata/)"
        )
    return found


def _int(params: QueryDict, name: str, default: int | None, low: int = 0) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise problems.bad_request(f"{name} must be an integer, not {raw!r}") from None
    if value < low:
        raise problems.bad_request(f"{name} must be at least {low}, not {value}")
    return value


def _paging(params: QueryDict) -> tuple[int, int, bool]:
    offset = _int(params, "offset", 0) or 0
    limit = _int(params, "limit", DEFAULT_LIMIT)
    assert limit is not None
    if limit > openapi.MAX_LIMIT:
        raise problems.bad_request(f"limit must be at most {openapi.MAX_LIMIT}, not {limit}")
    total = params.get("totalCount", "false").lower()
    if total not in ("true", "false"):
        raise problems.bad_request(f"totalCount must be true or false, not {total!r}")
    return offset, limit, total == "true"


def _scope(client: EdfiClient, params: QueryDict) -> QuerySet[EdfiDocument]:
    docs = EdfiDocument.objects.using(state_db()).filter(body__isnull=False)
    if client.district is not None:
        return docs.filter(district=client.district)
    lea = params.get("localEducationAgencyId")
    if lea:
        leas = docs.filter(
            resource="localEducationAgencies",
            natural_key=natural_key([_as_int("localEducationAgencyId", lea)]),
        )
        docs = docs.filter(district__in=leas.values("district"))
    return docs


def _as_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise problems.bad_request(f"{name} must be an integer, not {value!r}") from None


def _example(resource: r.Resource, params: QueryDict, reader: bool) -> dict[str, Any]:
    """Get-by-example: each parameter a key, scalar or reference field, as a lookup on the
    stored body."""
    paths = search.searchable(resource)
    lookups: dict[str, Any] = {}
    for name in params:
        value = str(params.get(name, ""))
        if name in PAGING or (reader and name == "localEducationAgencyId"):
            continue
        path = paths.get(name)
        if path is None:
            allowed = ", ".join(openapi.query_fields(resource))
            raise problems.bad_request(
                f"{name!r} is not a field {resource.name} can be searched by; use {allowed}"
            )
        kind = search.path_type(resource.struct, path)
        if kind is int:
            lookups["body__" + "__".join(path)] = _as_int(name, value)
        elif kind is bool:
            lookups["body__" + "__".join(path)] = value.lower() == "true"
        else:
            lookups["body__" + "__".join(path)] = value
    return lookups


def page(
    client: EdfiClient, resource: r.Resource, params: QueryDict
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of `resource` as the client may read it, and the total when asked."""
    offset, limit, with_total = _paging(params)
    if resource.is_descriptor:
        rows = descriptors.rows(_descriptor_type(resource))
        code = params.get("codeValue")
        rows = [row for row in rows if code is None or row["codeValue"] == code]
        return rows[offset : offset + limit], len(rows) if with_total else None
    docs = _scope(client, params).filter(
        resource=resource.name, **_example(resource, params, client.is_reader)
    )
    docs = _changed(docs, params)
    total = docs.count() if with_total else None
    found = list(docs.order_by("pk")[offset : offset + limit]) if limit else []
    return _bodies(resource, found), total


def _changed(
    rows: QuerySet[Any], params: QueryDict, field: str = "change_version"
) -> QuerySet[Any]:
    """Only the rows whose change version `field` is within minChangeVersion..maxChangeVersion."""
    low = _int(params, "minChangeVersion", None)
    high = _int(params, "maxChangeVersion", None)
    if low is not None:
        rows = rows.filter(**{f"{field}__gte": low})
    if high is not None:
        rows = rows.filter(**{f"{field}__lte": high})
    return rows


def one(client: EdfiClient, resource: r.Resource, resource_id: uuid.UUID) -> dict[str, Any]:
    if resource.is_descriptor:
        for row in descriptors.rows(_descriptor_type(resource)):
            if row["id"] == resource_id.hex:
                return row
        raise problems.not_found(f"no {resource.name} value has id {resource_id.hex}")
    doc = (
        _scope(client, QueryDict()).filter(resource=resource.name, resource_id=resource_id).first()
    )
    if doc is None:
        raise problems.not_found(f"no {resource.name} record has id {resource_id.hex}")
    return _bodies(resource, [doc])[0]


def _bodies(resource: r.Resource, docs: list[EdfiDocument]) -> list[dict[str, Any]]:
    """The documents as a GET gives them: the body sent, the state's id, etag and time, and for
    a district's student association the state ID the state gave the student."""
    state_ids = _state_ids(resource, docs)
    items = []
    for doc in docs:
        body = dict(doc.body or {})
        body["id"] = doc.resource_id.hex
        body["_etag"] = str(doc.change_version)
        body["_lastModifiedDate"] = doc.last_modified.isoformat() if doc.last_modified else None
        state_id = state_ids.get(doc.pk)
        if state_id:
            codes = [
                c
                for c in body.get("studentIdentificationCodes", [])
                if c.get("studentIdentificationSystemDescriptor") != STATE_SYSTEM
            ]
            codes.append(
                {
                    "assigningOrganizationIdentificationCode": "State",
                    "studentIdentificationSystemDescriptor": STATE_SYSTEM,
                    "identificationCode": state_id,
                }
            )
            body["studentIdentificationCodes"] = codes
        items.append(body)
    return items


def _state_ids(resource: r.Resource, docs: list[EdfiDocument]) -> dict[int, str]:
    """{association document pk: state ID} for student associations whose person has one."""
    if resource.name != "studentEducationOrganizationAssociations" or not docs:
        return {}
    using = state_db()
    wanted: dict[tuple[int, str], int] = {}
    for doc in docs:
        student = (doc.body or {}).get("studentReference", {}).get("studentUniqueId")
        wanted[(doc.district_id, natural_key([student]))] = doc.pk
    students = EdfiDocument.objects.using(using).filter(
        resource="students",
        district__in={d for d, _ in wanted},
        natural_key__in={k for _, k in wanted},
    )
    person_of = {s.pk: wanted.get((s.district_id, s.natural_key)) for s in students}
    people = copy_model(catalog.PERSON)._default_manager.using(using)
    rows = people.filter(record_id__in=list(person_of), tenant__in={d for d, _ in wanted})  # type: ignore[misc]
    found: dict[int, str] = {}
    for person_id, state_id in rows.values_list("record_id", catalog.STATE_ID_FIELD):
        association = person_of.get(person_id)
        if association is not None and state_id:
            found[association] = state_id
    return found


def deletes(
    client: EdfiClient, resource: r.Resource, params: QueryDict
) -> tuple[list[dict[str, Any]], int | None]:
    """Change Queries' deletes: each deleted record's id, change version and key values."""
    offset, limit, with_total = _paging(params)
    changes = EdfiChange.objects.using(state_db()).filter(resource=resource.name, deleted=True)
    if client.district is not None:
        changes = changes.filter(district=client.district)
    changes = _changed(changes, params, field="pk")
    total = changes.count() if with_total else None
    items = [
        {"id": c.resource_id.hex, "changeVersion": c.pk, "keyValues": c.key_values}
        for c in changes.order_by("pk")[offset : offset + limit]
    ]
    return items, total


def available_change_versions(client: EdfiClient) -> dict[str, int]:
    changes = EdfiChange.objects.using(state_db())
    if client.district is not None:
        changes = changes.filter(district=client.district)
    newest = changes.aggregate(newest=Max("pk"))["newest"] or 0
    return {"oldestChangeVersion": 0, "newestChangeVersion": newest}


def _descriptor_type(resource: r.Resource) -> str:
    return resource.name[0].upper() + resource.name[1:-1]
