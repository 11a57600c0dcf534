"""The state's values in a district's batch: state IDs given or matched, state-owned fields
kept, and what the district must be told (docs/STATE_OWNED.md).

The state stores its own value of a field it owns, whatever the district sent, and queues a
down change so the district's database gets it too; the copy's digest is the record as the
district will hold it, so once the district applied the change nothing differs and nothing
is sent again.
"""

from __future__ import annotations

from typing import Any

import msgspec
from django.db import connections
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core.db import bulk
from statesync.state.ingest.copies import wire_value
from statesync.state.models import (
    MatchHold,
    StatePerson,
)
from statesync.state.models.people import reserve_numbers
from statesync.state.people import matching
from statesync.state.rules import Context

PERSON = catalog.PERSON
STATE_ID = catalog.STATE_ID_FIELD


def take_state_values(
    ctx: Context,
    obj: catalog.DisObject,
    records: list,
    owned: tuple[catalog.Field, ...],
    kept: dict[int, tuple],
) -> tuple[list, list]:
    """`records` with the state's values of the `owned` fields, queueing the changes down;
    and, of people, those not linked to a state ID yet, as sent: the identity resolver
    settles them after the batch (they are stored without a state ID meanwhile).
    `kept`: record ID → the copy's values of `owned`, for the records the state holds."""
    if not owned or not records:
        return records, []
    names = [f.name for f in owned]
    matched = obj.name == PERSON and STATE_ID in names  # the state's, but matched, not kept
    theirs: dict[int, dict[str, Any]] = {
        record_id: {
            f.name: wire_value(f, v)
            for f, v in zip(owned, row, strict=True)
            if not (matched and f.name == STATE_ID)
        }
        for record_id, row in kept.items()
    }
    reasons: dict[int, str] = {}
    awaiting = []
    if matched:
        at = names.index(STATE_ID)
        links = {i: row[at] for i, row in kept.items() if row[at]}
        for record_id, state_id in links.items():
            theirs.setdefault(record_id, {})[STATE_ID] = state_id
            reasons[record_id] = _linked_reason(state_id)
        awaiting = [r for r in records if r.id not in links]
    unlinked = {r.id for r in awaiting}
    changes, out = [], []
    for record in records:
        wanted = {
            name: value
            for name, value in theirs.get(record.id, {}).items()
            if value is not None and getattr(record, name) != value
        }
        # Each time the district sends a value other than the state's, the state's goes down
        # again: every resync applies what is waiting first, so it rarely finds one waiting,
        # and applying one twice changes nothing ("already so").
        for name, value in wanted.items():
            why = reasons.get(record.id) if name == STATE_ID else None
            why = why or _restored(name, getattr(record, name), value)
            changes.append((obj.name, record.id, name, wire.json_text(value), why))
        if record.id in unlinked and record.state_id is not None:
            wanted[STATE_ID] = None  # not the state's until the resolver says so
        out.append(msgspec.structs.replace(record, **wanted) if wanted else record)
    columns = ("object", "record_id", "field", "value", "reason", "created_at")
    insert_rows(ctx, "state_downchange", columns, changes)
    return out, awaiting


def _linked_reason(state_id: str) -> str:
    return f"State ID {state_id} is the state's for this person; the district's value is replaced"


def _restored(name: str, sent: Any, kept: Any) -> str:
    label = catalog.field_label(name)
    return (
        f"{label} is owned by the state (Synchronization Field Settings): the district's "
        f"{wire.plain(sent)!r} is replaced by the state's {wire.plain(kept)!r}"
    )[:200]


def give_state_ids(ctx: Context, records: list) -> dict[int, tuple[str, str, str]]:
    """Each person's state ID as the identity resolver gives it, and why: sent by the district
    (an ID the state issued), an exact match, new; "" for a state ID sent with an identity
    only alike, while held; absent while held for matching. `records` are linked to none.
    Each as (state ID, why, outcome: "sent", "matched", "issued" or "held")."""
    using = ctx.using
    given: dict[int, tuple[str, str, str]] = {}
    waiting = _waiting(ctx, [r.id for r in records])
    holds = []
    # A state ID sent for a record not linked yet is taken only with the identity the state
    # holds for it; the rules rejected one plainly someone else's (E-IDENTITY), so the rest
    # is alike and held for Person Matching, without the state ID meanwhile.
    sent = [r for r in records if r.state_id]
    holders = ctx.state_people(r.state_id for r in sent)
    for record in sent:
        holder = holders.get(record.state_id)
        candidate = holder and matching.could_be(matching.Person.of_record(record), holder)
        if candidate and candidate.score == 100.0:
            given[record.id] = (record.state_id, _sent_reason(record.state_id), "sent")
            continue
        given[record.id] = ("", _held_reason(record.state_id), "held")
        if candidate and record.id not in waiting:
            candidate.reasons.insert(0, "the district sent this state ID")
            holds.append(_hold(ctx, record, [candidate]))
    wanted = [r for r in records if not r.state_id and r.id not in waiting and _matchable(r)]
    people = [matching.Person.of_record(r) for r in wanted]
    # A number for each, in case none matches. Reserving takes the issuing lock, so the
    # matcher then reads everyone issued, and nobody else issues until this commits.
    numbers = iter(reserve_numbers(using, len(wanted)))
    matcher = matching.Matcher(using, people)
    issued: list[tuple] = []
    for record, person in zip(wanted, people, strict=True):
        verdict = matcher.match(person)
        if verdict.exact is not None:
            state_id = verdict.exact.state_id
            given[record.id] = (state_id, _exact_reason(state_id), "matched")
        elif verdict.likely:
            holds.append(_hold(ctx, record, verdict.likely))
        else:
            person = matching.Person(*person[:4], next(numbers))
            matcher.add(person)  # a twin later in this batch matches them
            issued.append(_state_person(person, record))
            state_id = person.state_id
            given[record.id] = (state_id, f"State ID {state_id} is new: no match", "issued")
    StatePerson.issue(using, issued)
    insert_rows(ctx, "state_matchhold", HOLD_COLUMNS, holds)
    return given


HOLD_COLUMNS = (
    "record_id",
    "record",
    "candidates",
    "status",
    "decided_by",
    "state_id",
    "created_at",
)


def _waiting(ctx: Context, ids: list[int]) -> set[int]:
    """Those of `ids` held for matching: one range query (a batch's IDs come in order), on
    the index of pending holds."""
    if not ids:
        return set()
    sql = (
        "SELECT record_id FROM state_matchhold WHERE district_id = %s AND status = %s "
        "AND record_id BETWEEN %s AND %s"
    )
    with connections[ctx.using].cursor() as cursor:
        cursor.execute(sql, [ctx.tenant_id, MatchHold.Status.PENDING, min(ids), max(ids)])
        return {row[0] for row in cursor.fetchall()} & set(ids)


def insert_rows(ctx: Context, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows of this district into `table`, each stamped now (its last column), in one write:
    Django's bulk_create cost more than the matching itself."""
    if rows:
        connection = connections[ctx.using]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        full = [(ctx.tenant_id, *row, now) for row in rows]
        bulk.insert_rows(connection, table, ("district_id", *columns), full)


def _state_person(person: matching.Person, record: Any) -> tuple:
    """The person's values in StatePerson.issue's order (people.PERSON_COLUMNS)."""
    return (
        *(person.pk, person.last_key, person.first_key, *person.blocks),
        *(record.last_name[:60], record.first_name[:60], person.birth_date, person.gender),
    )


def _matchable(record: Any) -> bool:
    return bool(record.last_name and record.first_name and record.birth_date)


def _sent_reason(state_id: str) -> str:
    return f"State ID {state_id}, sent by the district, with the identity the state holds for it"


def _held_reason(state_id: str) -> str:
    return (
        f"State ID {state_id} was sent with a name, birth date or gender other than the "
        "state's for it: held for Person Matching, without a state ID until decided"
    )


def _exact_reason(state_id: str) -> str:
    return f"State ID {state_id}: the same name, birth date and gender as a person the state knows"


def _hold(ctx: Context, record: Any, likely: list[matching.Candidate]) -> tuple:
    values = wire.json_text({name: getattr(record, name) for name in record.__struct_fields__})
    candidates = wire.json_text([c.as_dict() for c in likely[:5]])
    return (record.id, values, candidates, MatchHold.Status.PENDING, "", "")
