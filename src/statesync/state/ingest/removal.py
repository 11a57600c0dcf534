"""The Record Deleter (docs/RECORD_DELETER.md): records removed from one district's copy at
the state, with everything that hangs under them, as a district's own delete removes them.

First a plan: what is held, what is not, what would go with it (by object, with counts), and
what a closed year keeps (E-YEAR-CLOSED). Then, once confirmed, the removal: the plan made
again inside the transaction that deletes, a Removal row for every record removed (its
version), so a message of that version or older cannot bring it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from statesync.core import catalog, versions, wire
from statesync.core.db.routers import state_db
from statesync.state import rules
from statesync.state.ingest import locks, store
from statesync.state.models import District, Removal, StateYear
from statesync.state.rules.closedyears import no_delete_in_a_closed_year


@dataclass
class Plan:
    """What removing `asked` records of `obj` from a district's copy does."""

    obj: catalog.DisObject
    asked: list[int]
    found: list[int] = field(default_factory=list)  # held, and free to remove
    missing: list[int] = field(default_factory=list)  # not in the district's copy
    refused: dict[int, str] = field(default_factory=dict)  # kept by a closed year: why
    under: dict[str, list[int]] = field(default_factory=dict)  # object → IDs going with them

    @property
    def total(self) -> int:
        """Every record the removal deletes, the asked ones and those under them."""
        return len(self.found) + sum(len(ids) for ids in self.under.values())

    def counts(self) -> list[tuple[str, int]]:
        """(object, records) in catalogue order: the asked object first, then its children."""
        found = [(self.obj.name, len(self.found))] if self.found else []
        return found + [(n, len(self.under[n])) for n in catalog.order() if self.under.get(n)]

    def as_dict(self) -> dict:
        return {
            "object": self.obj.name,
            "removed": {name: ids for name, ids in self.removed_ids()},
            "not_found": self.missing,
            "refused": {str(i): why for i, why in self.refused.items()},
            "total": self.total,
        }

    def removed_ids(self) -> list[tuple[str, list[int]]]:
        return [(self.obj.name, self.found), *((n, self.under[n]) for n in self.under)]


def _context(district: District, obj: catalog.DisObject) -> rules.Context:
    return rules.Context(district.pk, district.number, state_db(), batch_object=obj.name)


def plan(district: District, name: str, ids: list[int]) -> Plan:
    """What removing `ids` of `name` would do, read now (nothing changes)."""
    obj = catalog.get(name)
    return _plan(_context(district, obj), obj, ids)


def _plan(ctx: rules.Context, obj: catalog.DisObject, ids: list[int]) -> Plan:
    found = Plan(obj, ids)
    held = set(ctx.fetch(obj, ids, ()))
    found.missing = [i for i in ids if i not in held]
    batch = rules.Batch(
        obj,
        [],
        deletes=[i for i in ids if i in held],
        closed=StateYear.closed_years(ctx.using),
    )
    verdicts = rules.Verdicts()
    no_delete_in_a_closed_year(ctx, batch, verdicts)
    found.refused = {i: verdicts.errors[i][0].message for i in batch.refused_deletes}
    found.found = batch.allowed_deletes()
    level = [(obj, found.found)]
    while level:  # down the tree, each object's records under those of the level above
        parent, parent_ids = level.pop()
        for child in map(catalog.get, catalog.children(parent.name)):
            under = [row[0] for row in ctx.fetch_by(child, parent.key, parent_ids, ())]
            if under:
                found.under.setdefault(child.name, []).extend(under)
                level.append((child, under))
    for name in found.under:
        found.under[name] = sorted(set(found.under[name]))
    return found


def remove(district: District, name: str, ids: list[int], removed_by: str) -> Plan:
    """Remove `ids` of `name` and what hangs under them from `district`'s copy; the plan as
    carried out (made again under the district's lock: what a batch changed since counts)."""
    obj = catalog.get(name)
    ctx = _context(district, obj)
    with transaction.atomic(using=ctx.using):
        locks.hold_district_object(ctx.using, ctx.tenant_id, obj)
        done = _plan(ctx, obj, ids)
        label = f"{obj.name} {{}}"
        rows = []
        for object_name, removed in done.removed_ids():
            child = catalog.get(object_name)
            held = ctx.fetch(child, removed, (versions.FIELD,))
            under = "" if child is obj else label.format(",".join(map(str, done.found[:5])))
            rows += [
                Removal(
                    district=district,
                    object=object_name,
                    record_id=i,
                    version=held.get(i, (None,))[0],
                    removed_by=removed_by[:150],
                    under=under[:80],
                )
                for i in removed
            ]
        Removal.objects.using(ctx.using).bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["district", "object", "record_id"],
            update_fields=["version", "removed_by", "removed_at", "under"],
        )
        if done.found:
            store.delete_with_children(ctx, obj, done.found)
    return done


def removed_stale(
    latest: dict[int, tuple[wire.Record, int | None]], removed: dict[int, int | None]
) -> set[int]:
    """IDs the Record Deleter removed that a message does not bring back: sent with no
    version, or with one not newer than the copy removed."""
    stale = set()
    for record_id, (_, version) in latest.items():
        if record_id not in removed:
            continue
        gone = removed[record_id]
        if version is None or (gone is not None and version <= gone):
            stale.add(record_id)
    return stale
