"""A POST or DELETE through the Ed-Fi door: checked, mapped, judged by the state's rules, kept.

The records a document carries go through `apply_batch`, the native door's own ingest, so an
Ed-Fi district's data is judged by the same rules and stored in the same copy. The document
is kept only once the state accepted what it carries: a refused one leaves nothing behind but
the rejection in the state's error log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from django.db import transaction
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core.db.routers import state_db
from statesync.state import rules
from statesync.state.edfi import derived, groups, problems
from statesync.state.edfi import resources as r
from statesync.state.edfi.mapping import RESOURCES, Mapper, NotMappable, Unresolved
from statesync.state.edfi.store import Documents, natural_key
from statesync.state.ingest import store
from statesync.state.ingest.apply import apply_batch
from statesync.state.models import District, EdfiDocument, copy_model
from statesync.state.models.messages import Origin

# Fields the server owns: a client's copy of them is not part of what it sends.
SERVER_FIELDS = ("id", "_etag", "_lastModifiedDate", "link")


# Resources whose document carries several records (a calendar and its months, a session's
# calendars' term schedules): each is stored on its own, all or nothing.
CARRY_SEVERAL = frozenset({"calendars", "sessions"})


@dataclass
class Outcome:
    status: int  # 201 new, 200 changed or the same
    doc: EdfiDocument


def upsert(district: District, resource: r.Resource, raw: bytes) -> Outcome:
    """Store a POSTed document by its natural key, or raise problems.Problem saying why not."""
    body, typed = decode(resource, raw)
    docs = Documents(district, state_db())
    mapper = Mapper(docs, district.number)
    key = list(resource.key_values(body).values())
    try:
        mapper.check_descriptors(typed)
        check_references(docs, resource, body)
        if resource.name not in CARRY_SEVERAL:  # judged alone: it may share a transaction
            job = groups.Job(docs, mapper, resource, body, typed, key)
            return Outcome(groups.GROUPS.run(district, job), job.doc)
        doc = docs.slot(resource.name, key)
        mapped = mapper.records(resource, doc.pk, typed)
    except (NotMappable, Unresolved) as exc:
        raise exc.problem() from None
    using = docs.using
    try:
        # One transaction: what the document carries and the document itself, or nothing.
        with transaction.atomic(using=using):
            refused = groups.judge_and_store(district, mapped)
            if refused:
                first = refused[0][0]
                rejected = [x for m, x in refused if m.object == first.object]
                raise Refused(first.object, first.resource, rejected)
            if doc.body == body:
                return Outcome(200, doc)
            status = 201 if doc.body is None else 200
            docs.save(doc, body)
            return Outcome(status, doc)
    except Refused as refused:
        # Nothing this POST carried stays (a calendar's months with it); the error log keeps why.
        ctx = rules.Context(district.id, district.number, using, batch_object=refused.object)
        errors = {r.id: r.errors for r in refused.rejected}
        with transaction.atomic(using=using):
            store.record_rejections(ctx, catalog.get(refused.object), errors, None, timezone.now())
        raise problems.rejected(
            refused.resource, refused.object, refused.rejected[0].errors
        ) from None


class Refused(Exception):
    """The state's rules refused a record a document carries."""

    def __init__(self, obj: str, resource: r.Resource, rejected: list[wire.Rejected]):
        super().__init__(obj)
        self.object, self.resource, self.rejected = obj, resource, rejected


def decode(resource: r.Resource, raw: bytes) -> tuple[dict[str, Any], r.Part]:
    """The body as sent (for keeping) and as its struct (for reading), or a 400 naming where."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise problems.bad_request(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise problems.bad_request(f"the body must be a JSON object, not {type(body).__name__}")
    for name in SERVER_FIELDS:
        body.pop(name, None)
    try:
        typed = msgspec.convert(body, resource.struct)
    except msgspec.ValidationError as exc:
        path, message = problems.split_path(str(exc))
        raise problems.validation({path: [message]}) from None
    return body, typed


def check_references(docs: Documents, resource: r.Resource, body: dict[str, Any]) -> None:
    """Unresolved for a reference to a record the district has not sent (or has deleted)."""
    for ref in resource.references:
        values = body.get(ref.field)
        if values is None:
            continue
        if not any(docs.held(t, reference_key(ref, t, values)) for t in ref.targets):
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items() if k != "link")
            raise Unresolved(f"{ref.field} ({shown}) is not a record the state holds")


def reference_key(ref: r.Reference, target: str, values: dict[str, Any]) -> list[Any]:
    """The natural key of `target` a reference's values name."""
    renames = {v: k for k, v in ref.renames.get(target, {}).items()}
    return [values.get(renames.get(name, name)) for name in RESOURCES[target].key_names]


def delete(district: District, resource: r.Resource, resource_id: uuid.UUID) -> None:
    """Delete a held document (and the record it carries), refusing one others refer to."""
    docs = Documents(district, state_db())
    doc = docs.all().filter(resource=resource.name, resource_id=resource_id, body__isnull=False)
    found = doc.first()
    if found is None:
        raise problems.not_found(f"no {resource.name} record has id {resource_id.hex}")
    body = found.body or {}
    key_values = resource.key_values(body)
    referring = dependents(docs, resource, body, found.pk)
    if referring:
        raise problems.dependent(resource.name, referring)
    for name, record_id in derived.carried(resource.name, found.pk):
        envelope = wire.Batch(deletes=[record_id])
        result = apply_batch(district, catalog.get(name), envelope, [], origin=Origin.EDFI)
        if result.rejected:
            raise problems.rejected(resource, name, result.rejected[0].errors)
    if resource.name == "sessions":  # its calendars' term schedules, without it
        session = msgspec.convert(body, r.Session)
        for item in Mapper(docs, district.number).sessions_changed(session, sent=False):
            apply_batch(
                district, catalog.get(item.object), wire.Batch(), [item.record], origin=Origin.EDFI
            )
        _drop_empty_term_schedules(district, docs, session)
    docs.remove(found, key_values)


def dependents(
    docs: Documents, resource: r.Resource, body: dict[str, Any], doc_pk: int
) -> list[str]:
    """The resources with a held record referring to this one (for the 409 that names them)."""
    key = resource.key_values(body)
    found = []
    carried = derived.carried(resource.name, doc_pk)
    own = {name for name, _ in carried}
    for name, record_id in carried:  # what the state holds under it, however it was linked
        obj = catalog.get(name)
        for child in catalog.children(name):
            rows = copy_model(child)._default_manager.using(docs.using)
            held = rows.filter(tenant=docs.district, **{obj.key: record_id})  # type: ignore[misc]
            if child not in own and held.exists():
                found.append(f"the state's {child} copies")
    for other in RESOURCES.values():
        for ref in other.references:
            if resource.name not in ref.targets:
                continue
            renames = ref.renames.get(resource.name, {})
            lookup = {
                f"body__{ref.field}__{_source(renames, name)}": value for name, value in key.items()
            }
            if docs.all().filter(resource=other.name, body__isnull=False, **lookup).exists():
                found.append(other.name)
    return found


def _drop_empty_term_schedules(district: District, docs: Documents, session: r.Session) -> None:
    """A calendar whose last session went has no term schedule left."""
    school_id = session.school_reference.school_id
    year = session.school_year_type_reference.school_year
    left = [
        s for s in docs.sessions_of(school_id, year) if s["sessionName"] != session.session_name
    ]
    if left:
        return
    for calendar in docs.calendars_of(school_id, year):
        envelope = wire.Batch(deletes=[calendar.pk])
        apply_batch(district, catalog.get("TermSchedule"), envelope, [], origin=Origin.EDFI)


def _source(renames: dict[str, str], target_name: str) -> str:
    for source, target in renames.items():
        if target == target_name:
            return source
    return target_name


def replace(
    district: District, resource: r.Resource, resource_id: uuid.UUID, raw: bytes
) -> Outcome:
    """PUT: the same record by its id, whose natural key may not change (Ed-Fi's rule)."""
    docs = Documents(district, state_db())
    found = (
        docs.all()
        .filter(resource=resource.name, resource_id=resource_id, body__isnull=False)
        .first()
    )
    if found is None:
        raise problems.not_found(f"no {resource.name} record has id {resource_id.hex}")
    body, _ = decode(resource, raw)
    if natural_key(list(resource.key_values(body).values())) != found.natural_key:
        raise problems.Problem(
            400,
            "urn:ed-fi:api:bad-request:data-validation-failed:key-change-not-supported",
            "Key Change Not Supported",
            f"the natural key of {resource.name} record {resource_id.hex} cannot change "
            f"(it is {found.natural_key}); POST a new record and DELETE this one",
        )
    return upsert(district, resource, raw)
