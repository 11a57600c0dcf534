"""The state's validation rules (docs/DESIGN.md §7). Error codes are stable; messages quote values.

Rules run on a whole batch at once: every lookup is one query per batch, never one per record.
`judge()` is the entry point. Field rules and E-DUPLICATE come from the catalogue (`fields`),
E-PARENT from its parents, and each object's own rules are in `objects.RULES` (each written
with `@rule("Object")`). Rules read the state's copy only through a `Lookups`, so unit tests judge
records against a fake one.
"""

from __future__ import annotations

from statesync.core import catalog
from statesync.core.wire import Record
from statesync.state.rules.context import Context, Lookups, Verdicts
from statesync.state.rules.fields import check_duplicates, check_fields, check_parents
from statesync.state.rules.objects import RULES


def judge(ctx: Lookups, obj: catalog.DisObject, records: list[Record]) -> Verdicts:
    """Run every rule of `obj` on `records` and return the errors by record ID."""
    verdicts = Verdicts()
    for record in records:
        check_fields(obj, record, verdicts)
    check_parents(ctx, obj, records, verdicts)
    for object_rule in RULES.for_object(obj):
        object_rule(ctx, records, verdicts)
    check_duplicates(ctx, obj, records, verdicts)
    return verdicts


__all__ = ["Context", "Lookups", "Verdicts", "judge"]
