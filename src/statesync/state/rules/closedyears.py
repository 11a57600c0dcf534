"""Closed school years at the state: a year the state closed takes no change until reopened
(E-YEAR-CLOSED): no record of it changed, moved into or out of it, deleted, or deleted with a
parent that is not itself of a year (docs/YEARS.md)."""

from __future__ import annotations

from statesync.core import catalog, wire
from statesync.state import rules


def closed_message(year: int) -> str:
    return (
        f"school year {catalog.year_label(year)} is closed at the state: it takes no changes "
        "until the state reopens it"
    )


def refuse_changes(
    obj: catalog.DisObject,
    records: list[wire.Record],
    years: dict[int, int],
    held: dict[int, tuple],
    closed: set[int],
    verdicts: rules.Verdicts,
) -> None:
    """A change (not a record sent again unchanged) to a record of a closed year, or moving
    a record into or out of one, is rejected with E-YEAR-CLOSED."""
    for record in records:
        copy = held.get(record.id)
        if copy is not None and bytes(copy[0]) == wire.digest(record):
            continue
        touched = {years.get(record.id), copy[2] if copy is not None else None} & closed
        for year in sorted(y for y in touched if y is not None):
            verdicts.add(
                record.id, wire.RuleCode.YEAR_CLOSED, catalog.YEAR_FIELD, closed_message(year)
            )


def spare_deletes(
    ctx: rules.Context,
    obj: catalog.DisObject,
    ids: list[int],
    closed: set[int],
    verdicts: rules.Verdicts,
) -> list[int]:
    """The deletes that may go ahead: not of a closed year's record, nor of a record with one
    under it (deleting a school would take its closed years' calendars with it); the others
    are rejected with E-YEAR-CLOSED."""
    years = ctx.fetch(obj, ids, (catalog.YEAR_FIELD,)) if obj.year_scoped else {}
    under = _closed_years_under(ctx, obj, ids, closed)
    allowed = []
    for record_id in ids:
        year = years.get(record_id, (None,))[0]
        if year in closed:
            verdicts.add(
                record_id, wire.RuleCode.YEAR_CLOSED, catalog.YEAR_FIELD, closed_message(year)
            )
        elif record_id in under:
            child, year = under[record_id]
            message = f"{obj.name} {record_id} has {child} records of a closed year under it: "
            verdicts.add(
                record_id,
                wire.RuleCode.YEAR_CLOSED,
                catalog.YEAR_FIELD,
                message + closed_message(year),
            )
        else:
            allowed.append(record_id)
    return allowed


def _closed_years_under(
    ctx: rules.Context, obj: catalog.DisObject, ids: list[int], closed: set[int]
) -> dict[int, tuple[str, int]]:
    """Those of `ids` with a record of a closed year below them: ID → (its object, the year)."""
    found: dict[int, tuple[str, int]] = {}
    level = [(obj, {i: i for i in ids})]  # each object's records below, by the ID they are under
    while level:
        parent, owners = level.pop()
        for child in map(catalog.get, catalog.children(parent.name)):
            year = (catalog.YEAR_FIELD,) if child.year_scoped else ()
            rows = ctx.fetch_by(child, parent.key, list(owners), (parent.key, *year))
            below = {row[0]: owners[row[1]] for row in rows}
            for row in rows:
                if year and row[2] in closed:
                    found.setdefault(owners[row[1]], (child.name, row[2]))
            if below:
                level.append((child, below))
    return found
