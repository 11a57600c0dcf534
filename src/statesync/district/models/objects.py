"""The district edition's tables, one per DIS object, built from the catalogue.

Each table is `district_<object>` so administrators can find it with SQL.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import camel_case_to_spaces

from statesync.core import catalog, versions
from statesync.core.db.columns import model_field
from statesync.district.models.stateowned import StateOwnedField


def parent_field_name(parent: str) -> str:
    """`school_id` → `school`: the ForeignKey whose column is the parent's key."""
    return catalog.get(parent).key.removesuffix("_id")


class DisRecord(models.Model):
    """Common behaviour of the district's DIS object tables."""

    dis_object: catalog.DisObject
    objects: ClassVar[models.Manager[Any]]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        label = getattr(self, "name", None) or getattr(self, "last_name", None) or ""
        return f"{self.dis_object.name} {self.pk}" + (f" ({label})" if label else "")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refuse_state_owned_changes()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.refuse_state_owned_changes()

    def refuse_state_owned_changes(self) -> None:
        """Raise ValidationError, naming the setting, if a field the state owns was changed
        (or given a value on a new record): only the sync down writes those."""
        owned = sorted(StateOwnedField.of(self.dis_object.name))
        if not owned:
            return
        before = type(self).objects.filter(pk=self.pk).values(*owned).first() if self.pk else None
        changed = [f for f in owned if getattr(self, f) != (before or {}).get(f)]
        if changed:
            labels = ", ".join(catalog.field_label(f) for f in changed)
            raise ValidationError(
                {
                    f: f"{labels} is owned by the state (Synchronization Field Settings, at the "
                    "state): the district cannot change it; the state sends its value down."
                    for f in changed
                }
            )


def verbose_name(name: str) -> str:
    """`PersonIdentity` → "person identity", as Django admin shows a model."""
    return camel_case_to_spaces(name)


def plural(words: str) -> str:
    """ "person identity" → "person identities", "day" → "days"."""
    if words.endswith("y") and words[-2:-1] not in "aeiou":
        return words[:-1] + "ies"
    return words + "s"


def _build(obj: catalog.DisObject) -> type[DisRecord]:
    attrs: dict = {
        "__module__": __name__,
        "__qualname__": obj.name,
        "dis_object": obj,
        "id": models.BigAutoField(primary_key=True),
        # Stamped by database triggers on every insert and update (statesync.core.versions).
        versions.FIELD: models.BigIntegerField(null=True, editable=False),
    }
    for parent in obj.parents:
        attrs[parent_field_name(parent)] = models.ForeignKey(
            f"district.{parent}", on_delete=models.CASCADE, related_name="+", db_index=True
        )
    for field in obj.fields:
        attrs[field.name] = model_field(field)
    indexes = []
    if catalog.YEAR_FIELD in attrs:
        year_index = models.Index(
            fields=[catalog.YEAR_FIELD, "id"], name=f"{obj.name.lower()}_year"
        )
        indexes.append(year_index)
    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "db_table": obj.district_table,
            "ordering": ["id"],
            "indexes": indexes,
            "verbose_name": verbose_name(obj.name),
            "verbose_name_plural": plural(verbose_name(obj.name)),
        },
    )
    return type(obj.name, (DisRecord,), attrs)


DIS_MODELS: dict[str, type[DisRecord]] = {
    name: _build(catalog.OBJECTS[name]) for name in catalog.order()
}


def dis_model(name: str) -> type[DisRecord]:
    """The district model of object `name`."""
    return DIS_MODELS[catalog.get(name).name]
