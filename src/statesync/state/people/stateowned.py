"""The state's values in a district's batch: state IDs given or matched, state-owned fields
kept, and what the district must be told (docs/STATE_OWNED.md).

The state stores its own value of a field it owns, whatever the district sent, and queues a
down change so the district's database gets it too; the copy's digest is the record as the
district will hold it, so once the district applied the change nothing differs and nothing
is sent again.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from django.db import connections, transaction
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core.db import bulk
from statesync.state.ingest.copies import wire_value
from statesync.state.models import (
    MatchHold,
    StatePerson,
)
from statesync.state.models.people import reserve_numbers, state_id_for
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
    queue_down(ctx, changes)
    return out, awaiting


def _linked_reason(state_id: str) -> str:
    return f"State ID {state_id} is the state's for this person; the district's value is replaced"


def _restored(name: str, sent: Any, kept: Any) -> str:
    label = catalog.field_label(name)
    return (
        f"{label} is owned by the state (Synchronization Field Settings): the district's "
        f"{wire.plain(sent)!r} is replaced by the state's {wire.plain(kept)!r}"
    )[:200]


@dataclass
class StateIdPlan:
    """What matching decided for a batch's people, before any number is taken: planned with
    reads only, so the resolver does the matching outside its write transaction (SQLite's
    one write lock is then held for the writes alone) and gives the numbers inside it."""

    ids: list[int]  # the records planned for, in order
    issued_through: int  # the highest state person number when matching read them
    # Record ID → (a state ID, or the index of a new person in `new`; its outcome).
    given: dict[int, tuple[str | int, str]] = field(default_factory=dict)
    # Why, for the outcomes whose reason is not the state ID's alone (a held record's names
    # the ID the district sent).
    why: dict[int, str] = field(default_factory=dict)
    # (record, its candidates): held for Person Matching.
    holds: list[tuple[Any, list[matching.Candidate]]] = field(default_factory=list)
    new: list[tuple[matching.Person, Any]] = field(default_factory=list)  # (person, record)

    def still_holds(self, ctx: Context, records: list) -> bool:
        """Whether it was planned for these records, and nobody issued a state ID since."""
        return [r.id for r in records] == self.ids and issued_through(ctx) == self.issued_through

    def gift(self, first: int) -> Gift:
        """The new people numbered from `first` on, and everything giving them writes."""
        numbers = range(first, first + len(self.new))
        people = [
            matching.Person(*person[:4], number)
            for (person, _), number in zip(self.new, numbers, strict=True)
        ]
        issued = [_state_person(p, record) for p, (_, record) in zip(people, self.new, strict=True)]
        holds = [
            _hold(record, [_numbered(c, numbers) for c in candidates])
            for record, candidates in self.holds
        ]
        given = {}
        for record_id, (ref, outcome) in self.given.items():
            state_id = state_id_for(numbers[ref]) if isinstance(ref, int) else ref
            why = self.why.get(record_id) or _REASONS[outcome](state_id)
            given[record_id] = (state_id, why, outcome)
        return Gift(first, people, issued, holds, given)

    def give(
        self, ctx: Context, known: matching.Known | None = None, gift: Gift | None = None
    ) -> Gift:
        """Reserve the numbers, issue the new people and hold the likely matches; what was
        written. `gift`, made beforehand from a guess of the first number (next_number), is
        written as it is when the numbers reserved start there, else it is made again. `known`
        learns the people issued once they are committed."""
        numbers = reserve_numbers(ctx.using, len(self.new))
        if gift is None or (numbers and numbers[0] != gift.first):
            gift = self.gift(numbers[0] if numbers else 0)
        StatePerson.issue(ctx.using, gift.issued)
        if known is not None and numbers:
            learn = functools.partial(known.learn, gift.people, numbers[-1])
            transaction.on_commit(learn, using=ctx.using)
        insert_rows(ctx, "state_matchhold", HOLD_COLUMNS, gift.holds)
        return gift


@dataclass
class Gift:
    """A plan's new people numbered, with the rows giving them writes and each record's state
    ID: made by the resolver before its write transaction, so that SQLite's one write lock,
    which every batch waits for, is held for the writes alone (docs/PERFORMANCE.md)."""

    first: int  # the number of the first new person
    people: list[matching.Person]  # the new people, numbered
    issued: list[tuple]  # their StatePerson rows
    holds: list[tuple]  # the MatchHold rows of the likely matches
    given: dict[int, tuple[str, str, str]]  # record ID → (state ID, why, outcome)


def _numbered(candidate: matching.Candidate, numbers: Sequence[int]) -> matching.Candidate:
    """A candidate new in this batch, with the number it was given."""
    pk = candidate.person.pk
    if pk is None or pk >= 0:
        return candidate
    person = matching.Person(*candidate.person[:4], numbers[-pk - 1])
    return matching.Candidate(person, candidate.score, candidate.reasons)


def issued_through(ctx: Context) -> int:
    """The highest state person number issued (0 before the first)."""
    with connections[ctx.using].cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM state_person")
        return cursor.fetchone()[0]


def plan_state_ids(ctx: Context, records: list, known: matching.Known | None = None) -> StateIdPlan:
    """Match each person not linked to a state ID (`records`) among everyone the state knows
    (`known`, kept by the resolver between batches): a state ID sent with the identity the
    state holds for it, an exact match, a likely one (held), or a new person; reads only."""
    plan = StateIdPlan([r.id for r in records], issued_through(ctx))
    known = known or matching.Known()
    known.keep(plan.issued_through)
    waiting = _waiting(ctx, plan.ids)
    # A state ID sent for a record not linked yet is taken only with the identity the state
    # holds for it; the rules rejected one plainly someone else's (E-IDENTITY), so the rest
    # is alike and held for Person Matching, without the state ID meanwhile.
    sent = [r for r in records if r.state_id]
    holders = ctx.state_people(r.state_id for r in sent)
    for record in sent:
        holder = holders.get(record.state_id)
        candidate = holder and matching.could_be(matching.Person.of_record(record), holder)
        if candidate and candidate.score == 100.0:
            plan.given[record.id] = (record.state_id, "sent")
            continue
        plan.given[record.id] = ("", "held")
        plan.why[record.id] = _held_reason(record.state_id)
        if candidate and record.id not in waiting:
            candidate.reasons.insert(0, "the district sent this state ID")
            plan.holds.append((record, [candidate]))
    wanted = [r for r in records if not r.state_id and r.id not in waiting and _matchable(r)]
    people = [matching.Person.of_record(r) for r in wanted]
    matcher = matching.Matcher(ctx.using, people, known)
    for record, person in zip(wanted, people, strict=True):
        verdict = matcher.match(person)
        twin = verdict.exact.pk if verdict.exact is not None else None
        if twin is not None and twin < 0:  # a new person earlier in this batch
            plan.given[record.id] = (-twin - 1, "matched")
        elif verdict.exact is not None:
            plan.given[record.id] = (verdict.exact.state_id, "matched")
        elif verdict.likely:
            plan.holds.append((record, verdict.likely))
        else:
            # Numbered when given: until then the k-th new person is -(k+1), so a twin later
            # in this batch matches them.
            plan.given[record.id] = (len(plan.new), "issued")
            plan.new.append((person, record))
            matcher.add(matching.Person(*person[:4], -len(plan.new)))
    return plan


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


def queue_down(ctx: Context, changes: list[tuple]) -> None:
    """Queue down changes of this district: (object, record ID, field, JSON value, why);
    an empty field makes a notice."""
    columns = ("object", "record_id", "field", "value", "reason", "created_at")
    insert_rows(ctx, "state_downchange", columns, changes)


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


def _new_reason(state_id: str) -> str:
    return f"State ID {state_id} is new: no match"


_REASONS = {"sent": _sent_reason, "matched": _exact_reason, "issued": _new_reason}


def _hold(record: Any, likely: list[matching.Candidate]) -> tuple:
    values = wire.json_text({name: getattr(record, name) for name in record.__struct_fields__})
    candidates = wire.json_text([c.as_dict() for c in likely[:5]])
    return (record.id, values, candidates, MatchHold.Status.PENDING, "", "")
