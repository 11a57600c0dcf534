"""The state's copy of each district's DIS objects, one table per object, built from the catalogue.

A row is a record the state accepted, keyed by (district, district record ID), with its digest.
Rejected records live in Rejection instead, so the next run sends and judges them again.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from statesync.core import catalog, versions
from statesync.core.db.columns import model_field
from statesync.state.models.registry import District


class StateCopy(models.Model):
    dis_object: catalog.DisObject
    tenant_id: int
    record_id: int

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.dis_object.name} {self.record_id} of district {self.tenant_id}"


def _index_name(obj: catalog.DisObject, what: str) -> str:
    return f"cp_{obj.name.lower()[:14]}_{what[:10]}"  # index names stop at 30 characters


def _build(obj: catalog.DisObject) -> type[StateCopy]:
    attrs: dict = {
        "__module__": __name__,
        "__qualname__": f"{obj.name}Copy",
        "dis_object": obj,
        # The registered district that owns the row (`district_id` is the record's parent key).
        # No constraint in the database: the API writes only the authenticated district's
        # rows, and a per-row foreign-key check cost every upsert; deleting a district still
        # deletes its copies (Django's cascade). No index of its own: the (tenant, record)
        # key leads with it.
        "tenant": models.ForeignKey(
            District,
            on_delete=models.CASCADE,
            related_name="+",
            db_constraint=False,
            db_index=False,
        ),
        "record_id": models.BigIntegerField(),
        "digest": models.BinaryField(max_length=16),
        "accepted_at": models.DateTimeField(),
        "run": models.BigIntegerField(null=True, blank=True),
        # The district's version of the copy held: an older one never replaces it.
        versions.FIELD: models.BigIntegerField(null=True, blank=True),
    }
    for key in obj.parent_keys:
        attrs[key] = models.BigIntegerField(null=True)
    for field in obj.fields:
        attrs[field.name] = model_field(field)
    if obj.year_column:
        attrs[catalog.YEAR_FIELD] = models.IntegerField(null=True)
    # No index for the digest listing: it walks the (tenant, record_id) key in order and
    # filters the school year, and one index fewer makes every upsert cheaper.
    indexes = _indexes(obj)
    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "db_table": obj.state_table,
            "verbose_name": f"{obj.name} (state copy)",
            "constraints": [
                models.UniqueConstraint(
                    fields=["tenant", "record_id"], name=f"copy_{obj.name.lower()}_key"
                )
            ],
            "indexes": indexes,
        },
    )
    return type(f"{obj.name}Copy", (StateCopy,), attrs)


def _indexes(obj: catalog.DisObject) -> list[models.Index]:
    """The lookups a copy table serves besides its (tenant, record) key."""
    # Children are found by each parent (rules, cascading deletes).
    indexes = [
        models.Index(fields=["tenant", key], name=_index_name(obj, key.removesuffix("_id")))
        for key in obj.parent_keys
    ]
    if obj.natural_key and obj.natural_key[0] not in obj.parent_keys:
        # Duplicate checks look records up by their natural key.
        indexes.append(
            models.Index(fields=["tenant", obj.natural_key[0]], name=_index_name(obj, "natural"))
        )
    if obj.name == catalog.PERSON:
        # One student across districts: their enrollments elsewhere, by state ID.
        indexes.append(
            models.Index(fields=[catalog.STATE_ID_FIELD], name=_index_name(obj, "stateid"))
        )
    return indexes


COPY_MODELS: dict[str, type[StateCopy]] = {
    name: _build(catalog.OBJECTS[name]) for name in catalog.order()
}


def copy_model(name: str) -> type[StateCopy]:
    """The state's copy model of object `name` (SchoolCopy for School)."""
    return COPY_MODELS[catalog.get(name).name]


def copy_rows(name: str, using: str) -> Any:
    """Every district's rows of object `name` at the state, to filter: typed loosely, as the
    columns are built from the catalogue and the type checker cannot see them."""
    return copy_model(name)._default_manager.using(using)


class Tombstone(models.Model):
    """A record a district deleted, and the district's clock when it was seen gone: a copy of
    it sent before then (delayed on the way) must not bring it back."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    version = models.BigIntegerField()

    class Meta:
        db_table = "state_tombstone"
        constraints = [
            models.UniqueConstraint(
                fields=["district", "object", "record_id"], name="tombstone_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object} {self.record_id} deleted as of version {self.version}"


class Rejection(models.Model):
    """The state's latest judgement against a record it did not accept."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="rejections")
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    errors = models.JSONField()
    run = models.BigIntegerField(null=True, blank=True)
    rejected_at = models.DateTimeField()

    class Meta:
        db_table = "state_rejection"
        constraints = [
            models.UniqueConstraint(
                fields=["district", "object", "record_id"], name="rejection_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object} {self.record_id} of district {self.district_id}"
