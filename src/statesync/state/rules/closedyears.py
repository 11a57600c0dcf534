"""Closed school years at the state: a year the state closed takes no change until reopened
(E-YEAR-CLOSED): no record of it changed, moved into or out of it, deleted, or deleted with a
parent that is not itself of a year (docs/YEARS.md)."""

from __future__ import annotations

from statesync.core import catalog, wire
from statesync.state.rules.context import Batch, Lookups, Verdicts
from statesync.state.rules.registry import batch_rule


def closed_message(year: int) -> str:
    return (
        f"school year {catalog.year_label(year)} is closed at the state: it takes no changes "
        "until the state reopens it"
    )


@batch_rule()
def no_change_in_a_closed_year(ctx: Lookups, batch: Batch, verdicts: Verdicts) -> None:
    """A change (not a record sent again unchanged) to a record of a closed year, or moving
    a record into or out of one, is rejected with E-YEAR-CLOSED."""
    if not (batch.closed and batch.obj.year_scoped):
        return
    closed, years = batch.closed, batch.years
    for record in batch.records:
        copy = batch.held.get(record.id)
        if copy is not None and bytes(copy[0]) == wire.digest(record):
            continue
        touched = {years.get(record.id), copy[2] if copy is not None else None} & closed
        for year in sorted(y for y in touched if y is not None):
            verdicts.add(
                record.id, wire.RuleCode.YEAR_CLOSED, catalog.YEAR_FIELD, closed_message(year)
            )


@batch_rule()
def no_delete_in_a_closed_year(ctx: Lookups, batch: Batch, verdicts: Verdicts) -> None:
    """A delete goes ahead only of a record not of a closed year and with none of one under
    it (deleting a school would take its closed years' calendars with it); the others are
    refused with E-YEAR-CLOSED."""
    obj, ids, closed = batch.obj, batch.deletes, batch.closed
    if not (ids and closed):
        return
    years = ctx.fetch(obj, ids, (catalog.YEAR_FIELD,)) if obj.year_scoped else {}
    under = _closed_years_under(ctx, obj, ids, closed)
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
            continue
        batch.refused_deletes.add(record_id)


def _closed_years_under(
    ctx: Lookups, obj: catalog.DisObject, ids: list[int], closed: set[int]
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
