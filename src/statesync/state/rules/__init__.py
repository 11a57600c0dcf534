"""The state's validation rules (docs/DESIGN.md §7). Error codes are stable; messages quote values.

Rules run on a whole batch at once: every lookup is one query per batch, never one per record.
`judge()` is the entry point. Field rules and E-DUPLICATE come from the catalogue (`fields`),
E-PARENT from its parents, each object's own rules are in `objects` (`@rule("Object")`), and
the rules that judge a batch as a whole (closed school years) are batch rules
(`@batch_rule`). Cross-district overlaps need the people's state IDs, which the identity
resolver settles after the batch: they are identity rules (`@identity_rule`), judged by it
(`judge_identity`). Rules read the state only through a `Lookups`, so unit tests
judge records against a fake one.
"""

from __future__ import annotations

from statesync.core import catalog
from statesync.core.wire import Record, RuleCode
from statesync.state.rules import closedyears, crossdistrict, objects
from statesync.state.rules.context import Batch, Context, Lookups, Verdicts
from statesync.state.rules.fields import check_duplicates, check_fields, check_parents
from statesync.state.rules.registry import Registry

# Every rule module: a new one is named here, and its marked rules are judged.
RULES = Registry.collect(objects, crossdistrict, closedyears)


def judge(
    ctx: Lookups, obj: catalog.DisObject, records: list[Record], batch: Batch | None = None
) -> Verdicts:
    """Run every rule of `obj` on `records` (the whole of `batch`, when given, with what the
    state holds of them) and return the errors by record ID."""
    batch = batch or Batch(obj, records)
    verdicts = Verdicts()
    for record in records:
        check_fields(obj, record, verdicts)
    check_parents(ctx, obj, records, verdicts)
    for object_rule in RULES.for_object(obj):
        object_rule(ctx, records, verdicts)
    check_duplicates(ctx, obj, records, verdicts)
    for batch_rule in RULES.for_batch(obj):
        batch_rule(ctx, batch, verdicts)
    for failure in batch.failures:
        if failure.id is not None:
            verdicts.add(failure.id, RuleCode.FORMAT, failure.field, failure.message)
    return verdicts


def judge_identity(
    ctx: Lookups, obj: catalog.DisObject, records: list[Record]
) -> tuple[Verdicts, Batch]:
    """Run `obj`'s identity rules on stored `records`: the errors by record ID, and the batch
    with what the rules found to record."""
    batch, verdicts = Batch(obj, records), Verdicts()
    for identity_rule in RULES.for_identity(obj):
        identity_rule(ctx, batch, verdicts)
    return verdicts, batch


__all__ = ["Batch", "Context", "Lookups", "Verdicts", "judge", "judge_identity"]
