"""The state's values in a district's batch: state IDs given or matched, state-owned fields
kept, and what the district must be told (docs/STATE_OWNED.md).

The state stores its own value of a field it owns, whatever the district sent, and queues a
down change so the district's database gets it too; the copy's digest is the record as the
district will hold it, so once the district applied the change nothing differs and nothing
is sent again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
from django.db import connections
from django.utils import timezone

from statesync import catalog, sqlin, wire
from statesync.state import matching
from statesync.state.models import (
    DownChange,
    FieldSetting,
    MatchHold,
    PersonLink,
    StatePerson,
)
from statesync.state.rules import Context

PERSON = catalog.PERSON
STATE_ID = catalog.STATE_ID_FIELD


def take_state_values(ctx: Context, obj: catalog.DisObject, records: list) -> list:
    """`records` with the state's values of the fields it owns, queueing the changes down."""
    owned = FieldSetting.owned_fields(ctx.using, obj)
    if not owned or not records:
        return records
    theirs: dict[int, dict[str, Any]] = {}
    plain = [f for f in owned if (obj.name, f.name) != (PERSON, STATE_ID)]
    if plain:
        held = ctx.fetch(obj, (r.id for r in records), [f.name for f in plain])
        for record_id, row in held.items():
            theirs[record_id] = {f.name: _wire_value(f, v) for f, v in zip(plain, row, strict=True)}
    reasons: dict[int, str] = {}
    if len(plain) < len(owned):
        for record_id, (state_id, why) in give_state_ids(ctx, records).items():
            theirs.setdefault(record_id, {})[STATE_ID] = state_id
            reasons[record_id] = why
    pending = _pending(ctx, obj, [r.id for r in records])
    changes, out = [], []
    for record in records:
        wanted = {
            name: value
            for name, value in theirs.get(record.id, {}).items()
            if value is not None and getattr(record, name) != value
        }
        for name, value in wanted.items():
            if pending.get((record.id, name), _ABSENT) == wire.plain(value):
                continue  # on its way already
            reason = reasons.get(record.id) if name == STATE_ID else None
            changes.append(
                DownChange(
                    district_id=ctx.tenant_id,
                    object=obj.name,
                    record_id=record.id,
                    field=name,
                    value=wire.plain(value),
                    reason=reason or _restored(name, getattr(record, name), value),
                )
            )
        out.append(msgspec.structs.replace(record, **wanted) if wanted else record)
    DownChange.objects.using(ctx.using).bulk_create(changes)
    return out


_ABSENT = object()


def _restored(name: str, sent: Any, kept: Any) -> str:
    label = catalog.field_label(name)
    return (
        f"{label} is owned by the state (Synchronization Field Settings): the district's "
        f"{wire.plain(sent)!r} is replaced by the state's {wire.plain(kept)!r}"
    )[:200]


def _wire_value(spec: catalog.Field, stored: Any) -> Any:
    """A stored value as the wire carries it (lists are stored as JSON text)."""
    if stored is None:
        return None
    if spec.is_list and isinstance(stored, str):
        stored = msgspec.json.decode(stored)
    return msgspec.convert(stored, wire.field_type(spec), strict=False)


def _pending(ctx: Context, obj: catalog.DisObject, ids: list[int]) -> dict[tuple[int, str], Any]:
    """(record ID, field) → the value of a down change not yet applied."""
    found: dict[tuple[int, str], Any] = {}
    connection = connections[ctx.using]
    sql = (
        "SELECT record_id, field, value FROM state_downchange WHERE district_id = %s "
        "AND object = %s AND applied_at IS NULL AND "
    )
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "record_id", ids):
            cursor.execute(sql + condition + " ORDER BY id", [ctx.tenant_id, obj.name, *params])
            for record_id, field, value in cursor.fetchall():
                found[(record_id, field)] = (
                    msgspec.json.decode(value) if isinstance(value, str | bytes) else value
                )
    return found


def give_state_ids(ctx: Context, records: list) -> dict[int, tuple[str | None, str]]:
    """Each person's state ID as the state has it, and why: linked before, sent by the
    district (an ID the state issued), an exact match, new; None while held for matching."""
    using = ctx.using
    ids = [r.id for r in records]
    links = dict(
        PersonLink.objects.using(using)
        .filter(district_id=ctx.tenant_id, record_id__in=ids)
        .values_list("record_id", "person__state_id")
    )
    given: dict[int, tuple[str | None, str]] = {
        i: (s, f"State ID {s} is the state's for this person; the district's value is replaced")
        for i, s in links.items()
    }
    unlinked = [r for r in records if r.id not in links]
    held = set(
        MatchHold.objects.using(using)
        .filter(district_id=ctx.tenant_id, record_id__in=[r.id for r in unlinked])
        .filter(status=MatchHold.Status.PENDING)
        .values_list("record_id", flat=True)
    )
    sent = {r.id: r.state_id for r in unlinked if r.state_id}
    known = dict(
        StatePerson.objects.using(using)
        .filter(state_id__in=set(sent.values()))
        .values_list("state_id", "pk")
    )
    new_links = [
        PersonLink(district_id=ctx.tenant_id, record_id=i, person_id=known[s], how="sent")
        for i, s in sent.items()
        if s in known
    ]
    wanted = [r for r in unlinked if not r.state_id and r.id not in held and _matchable(r)]
    matcher = matching.Matcher(using, (r.birth_date for r in wanted))
    fresh: list[tuple[Any, StatePerson]] = []
    likely: list[tuple[Any, list[matching.Candidate]]] = []
    for record in wanted:
        person = matching.Person.of_record(record)
        verdict = matcher.match(person)
        if verdict.exact is not None and verdict.exact.pk is not None:
            new_links.append(_link(ctx, record, verdict.exact.pk, "exact match"))
            given[record.id] = (verdict.exact.state_id, _exact_reason(verdict.exact.state_id))
        elif verdict.exact is not None:  # a twin issued earlier in this batch
            fresh.append((record, _pending_person(fresh, verdict.exact)))
        elif verdict.likely:
            likely.append((record, verdict.likely))
        else:
            issued = StatePerson(
                last_key=person.last_key,
                first_key=person.first_key,
                last_name=record.last_name[:60],
                first_name=record.first_name[:60],
                birth_date=record.birth_date,
                gender=person.gender,
            )
            fresh.append((record, issued))
            matcher.add(person)
    # The instances in `fresh` get their pk and state ID.
    issued_now = {_key(p): p for p in StatePerson.issue(using, _unique([p for _, p in fresh]))}
    for record, issued in fresh:
        new_links.append(_link(ctx, record, issued.pk, "new"))
        given[record.id] = (issued.state_id, f"State ID {issued.state_id} is new: no match")
    PersonLink.objects.using(using).bulk_create(new_links)
    holds = [_hold(ctx, r, _issued(candidates, issued_now)) for r, candidates in likely]
    MatchHold.objects.using(using).bulk_create(holds)
    return given


def _key(person: StatePerson) -> tuple:
    return (person.last_key, person.first_key, person.birth_date, person.gender)


def _issued(
    candidates: list[matching.Candidate], issued_now: dict[tuple, StatePerson]
) -> list[matching.Candidate]:
    """Candidates issued in this very batch, with the pk and state ID they have now."""
    for candidate in candidates:
        if candidate.person.pk is None:
            made = issued_now[candidate.person.exact_key]
            candidate.person = dataclasses.replace(
                candidate.person, pk=made.pk, state_id=made.state_id or ""
            )
    return candidates


def _matchable(record: Any) -> bool:
    return bool(record.last_name and record.first_name and record.birth_date)


def _exact_reason(state_id: str) -> str:
    return f"State ID {state_id}: the same name, birth date and gender as a person the state knows"


def _unique(people: list[StatePerson]) -> list[StatePerson]:
    seen: dict[int, StatePerson] = {}
    for person in people:
        seen.setdefault(id(person), person)
    return list(seen.values())


def _pending_person(fresh: list[tuple[Any, StatePerson]], twin: matching.Person) -> StatePerson:
    """The person issued in this batch that `twin` stands for."""
    for _, person in fresh:
        if _key(person) == twin.exact_key:
            return person
    raise LookupError(twin)  # the matcher only knows people of this batch from `fresh`


def _link(ctx: Context, record: Any, person_pk: int, how: str) -> PersonLink:
    return PersonLink(district_id=ctx.tenant_id, record_id=record.id, person_id=person_pk, how=how)


def _hold(ctx: Context, record: Any, likely: list[matching.Candidate]) -> MatchHold:
    return MatchHold(
        district_id=ctx.tenant_id,
        record_id=record.id,
        record={name: wire.plain(getattr(record, name)) for name in record.__struct_fields__},
        candidates=[c.as_dict() for c in likely[:5]],
        created_at=timezone.now(),
    )
