"""What the state owns in this district's data, and the changes it sent down that were applied
(docs/STATE_OWNED.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class StateOwnedField(models.Model):
    """A field the state owns (Synchronization Field Settings, as the state last said):
    read-only here, and whatever the district holds the state's value replaces."""

    object = models.CharField(max_length=40)
    field = models.CharField(max_length=60)

    class Meta:
        db_table = "district_stateownedfield"
        constraints = [models.UniqueConstraint(fields=["object", "field"], name="stateowned_field")]

    def __str__(self) -> str:
        return f"{self.object}.{self.field}"

    @classmethod
    def of(cls, name: str) -> set[str]:
        """The fields of object `name` the state owns."""
        return set(cls.objects.filter(object=name).values_list("field", flat=True))

    @classmethod
    def replace_all(cls, owned: list[list[str]]) -> None:
        wanted = {(o, f) for o, f in owned}
        held = set(cls.objects.values_list("object", "field"))
        for obj, field in held - wanted:
            cls.objects.filter(object=obj, field=field).delete()
        new = [StateOwnedField(object=o, field=f) for o, f in sorted(wanted - held)]
        StateOwnedField.objects.bulk_create(new)


class AppliedChange(models.Model):
    """A change the state sent down, as applied here (once: its state ID is unique)."""

    change_id = models.BigIntegerField(unique=True)
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    field = models.CharField(max_length=60, blank=True)  # empty: a notice
    old_value = models.JSONField(null=True)
    value = models.JSONField(null=True)
    reason = models.CharField(max_length=200)
    outcome = models.CharField(max_length=100)
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "district_appliedchange"
        ordering = ["-change_id"]

    def __str__(self) -> str:
        return f"State change {self.change_id}: {self.object} {self.record_id} {self.field}"
