"""The state changing a value it owns: a match decided, a state-owned field edited on a
district's page. The copy changes (with the digest of the record as the district will hold
it) and a down change is queued (docs/STATE_OWNED.md)."""

from __future__ import annotations

from typing import Any

import msgspec
from django.db import transaction
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core.db.routers import state_db
from statesync.state.ingest import copies, locks
from statesync.state.ingest.copies import db_value, wire_value
from statesync.state.models import (
    District,
    DownChange,
    FieldSetting,
    MatchHold,
    StatePerson,
)
from statesync.state.models.people import check_digit_holds, reserve_numbers, state_id_for
from statesync.state.people.matching import block, normalise
from statesync.state.rules import Context, Verdicts
from statesync.state.rules.fields import check_fields


class ValueRefused(ValueError):
    """A value the state may not set, with why."""


def set_value(
    district: District, obj: catalog.DisObject, record_id: int, name: str, value: Any, reason: str
) -> None:
    """Give `name` of the district's record the state's `value` and queue it down."""
    using = state_db()
    spec = next((f for f in obj.fields if f.name == name), None)
    if spec is None:
        raise ValueRefused(f"{obj.name} has no field {name!r}")
    if spec not in FieldSetting.owned_fields(using, obj):
        raise ValueRefused(
            f"{spec.label} is owned by the district: make it state-owned in Synchronization "
            "Field Settings first"
        )
    is_state_id = (obj.name, name) == (catalog.PERSON, catalog.STATE_ID_FIELD)
    try:
        typed = msgspec.convert(value, wire.field_type(spec), strict=False)
    except msgspec.ValidationError as exc:
        raise ValueRefused(f"{spec.label}: {value!r} is not a value it takes ({exc})") from None
    if is_state_id and typed and not (len(typed) == 10 and typed.isascii() and typed.isdigit()):
        raise ValueRefused(f"state ID {typed!r} is not 10 digits")
    if is_state_id and typed and not check_digit_holds(typed):
        raise ValueRefused(f"state ID {typed} fails its check digit (mistyped?)")
    if is_state_id and typed is not None and typed not in StatePerson.issued(using, [typed]):
        raise ValueRefused(f"state ID {typed} was never issued by the state")
    # Read and written under the lock the district's batches of the object take: a batch
    # judged meanwhile would write the value read before this one back.
    with transaction.atomic(using=using):
        locks.hold_district_object(using, district.id, obj)
        ctx = Context(district.id, district.number, using)
        columns = obj.columns[1:]
        found = ctx.fetch(obj, [record_id], columns)
        if record_id not in found:
            raise ValueRefused(f"the state holds no {obj.name} {record_id} of district {district}")
        held = dict(zip(columns, found[record_id], strict=True))
        held |= {f.name: wire_value(f, held[f.name]) for f in obj.fields}
        record = msgspec.convert(
            {"id": record_id, **held}, wire.record_type(obj.name), strict=False
        )
        record = msgspec.structs.replace(record, **{name: typed})
        verdicts = Verdicts()
        check_fields(obj, record, verdicts)
        if verdicts.errors:
            raise ValueRefused("; ".join(e.message for e in verdicts.errors[record_id]))
        stored = db_value(spec, typed)
        copies.set_value(using, obj, district.id, record_id, name, stored, wire.digest(record))
        DownChange.objects.using(using).create(
            district=district,
            object=obj.name,
            record_id=record_id,
            field=name,
            value=wire.plain(typed),
            reason=reason[:200],
        )


def decide(hold: MatchHold, state_id: str | None, by: str) -> str:
    """Settle a held person: the candidate `state_id`, or a new state ID (None); returns it."""
    using = state_db()
    if hold.status != MatchHold.Status.PENDING:
        raise ValueRefused(f"this person was decided already ({hold.get_status_display()})")
    offered = {c["state_id"] for c in hold.candidates}
    if state_id is not None and state_id not in offered:
        raise ValueRefused(f"state ID {state_id} is not one of this person's candidates")
    status = MatchHold.Status.MATCHED if state_id else MatchHold.Status.NEW
    with transaction.atomic(using=using):
        # The district's people first (as its batches take them), then the hold itself: of
        # two decisions on one person at once, the second finds it decided and changes nothing.
        locks.hold_district_object(using, hold.district_id, catalog.get(catalog.PERSON))
        pending = MatchHold.objects.using(using).filter(pk=hold.pk, status=MatchHold.Status.PENDING)
        if not pending.update(status=status, decided_by=by, decided_at=timezone.now()):
            raise ValueRefused("this person was decided already, meanwhile")
        if state_id is None:
            number = reserve_numbers(using, 1)[0]
            StatePerson.issue(using, [_person_of(number, hold.record)])
            given = state_id_for(number)
        else:
            given = state_id
        MatchHold.objects.using(using).filter(pk=hold.pk).update(state_id=given)
        word = "matched to" if state_id else "given the new"
        set_value(
            hold.district,
            catalog.get(catalog.PERSON),
            hold.record_id,
            catalog.STATE_ID_FIELD,
            given,
            f"State ID {given}: {word} state ID by {by} (Person Matching)",
        )
    return given


def _person_of(number: int, record: dict) -> tuple:
    """A held record as a new state person (StatePerson.issue's values)."""
    last, first, born = (
        normalise(record["last_name"]),
        normalise(record["first_name"]),
        record["birth_date"],
    )
    return (
        *(number, last, first, block(born, last), block(born, first)),
        *(record["last_name"][:60], record["first_name"][:60], born, record.get("gender") or ""),
    )
