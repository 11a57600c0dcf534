"""One record of a district's copy, as the state holds it: the state's side of the Data Tool
(docs/MESSAGES.md) — its values (state-owned fields marked), why it is rejected, whether the
Record Deleter removed it, its parents and the records under it at the state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.ingest import copies
from statesync.state.models import District, FieldSetting, Rejection, Removal


@dataclass
class HeldRecord:
    obj: catalog.DisObject
    record_id: int
    district: District
    values: dict[str, Any] | None  # the accepted copy, column by column; None when not held
    owned: set[str] = field(default_factory=set)
    rejected: list[dict] = field(default_factory=list)  # the errors of its latest rejection
    removal: Removal | None = None
    parents: list[tuple[str, int]] = field(default_factory=list)
    children: list[tuple[str, int]] = field(default_factory=list)  # object, records under it

    def as_dict(self) -> dict[str, Any]:
        removal = self.removal
        return {
            "object": self.obj.name,
            "id": self.record_id,
            "district": self.district.number,
            "state": self.values,
            "state_owned": sorted(self.owned),
            "rejected": self.rejected,
            "removed": None
            if removal is None
            else {
                "by": removal.removed_by,
                "at": removal.removed_at.isoformat(),
                "version": removal.version,
            },
            "parents": [f"{name} {pk}" for name, pk in self.parents],
            "children": dict(self.children),
        }


def held_record(district: District, name: str, record_id: int) -> HeldRecord:
    """What the state holds of `district`'s record `record_id` of `name`."""
    obj, using = catalog.get(name), state_db()
    held = copies.held_records(using, obj, district.pk, [record_id]).items
    found = HeldRecord(obj, record_id, district, held[0] if held else None)
    found.owned = {f.name for f in FieldSetting.owned_fields(using, obj)}
    where = {"district": district, "object": obj.name, "record_id": record_id}
    found.rejected = (
        Rejection.objects.filter(**where).values_list("errors", flat=True).first() or []
    )
    found.removal = Removal.objects.filter(**where).first()
    if found.values is not None:
        found.parents = [
            (parent.name, found.values[key])
            for parent, key in zip(obj.parent_objects, obj.parent_keys, strict=True)
            if found.values.get(key) is not None
        ]
    for child in map(catalog.get, catalog.children(obj.name)):
        under = copies.select(using, child, district.pk, obj.key, [record_id], ())
        if under:
            found.children.append((child.name, len(under)))
    return found
