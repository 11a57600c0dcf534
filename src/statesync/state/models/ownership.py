"""Which fields the state owns, the changes it sends down to districts, and the conflicts
it finds between districts (docs/STATE_OWNED.md)."""

from __future__ import annotations

from django.db import connections, models
from django.utils import timezone

from statesync.core import catalog, handoff
from statesync.state.models.registry import District

# Owned by the state unless a setting says otherwise: the state ID follows a student from
# district to district, so only the state may give it.
STATE_OWNED_BY_DEFAULT = frozenset({(catalog.PERSON, catalog.STATE_ID_FIELD)})


class Owner(models.TextChoices):
    DISTRICT = "district", "the district"
    STATE = "state", "the state"


class FieldSetting(models.Model):
    """Synchronization Field Settings: a field's owner where it differs from the default."""

    object = models.CharField(max_length=40)
    field = models.CharField(max_length=60)
    owner = models.CharField(max_length=10, choices=Owner.choices)
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "state_fieldsetting"
        constraints = [
            models.UniqueConstraint(fields=["object", "field"], name="fieldsetting_field")
        ]

    def __str__(self) -> str:
        return f"{self.object}.{self.field}: {self.owner}"

    @classmethod
    def state_owned(cls, using: str) -> set[tuple[str, str]]:
        """Every (object, field) the state owns now."""
        owned = set(STATE_OWNED_BY_DEFAULT)
        # Every batch asks: one plain query, not the ORM's (a twentieth of an Ed-Fi POST).
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT object, field, owner FROM {cls._meta.db_table}")
            for obj, field, owner in cursor.fetchall():
                (owned.add if owner == Owner.STATE else owned.discard)((obj, field))
        return owned

    @classmethod
    def owned_fields(cls, using: str, obj: catalog.DisObject) -> tuple[catalog.Field, ...]:
        """The fields of `obj` the state owns, in catalogue order."""
        owned = {f for o, f in cls.state_owned(using) if o == obj.name}
        return tuple(f for f in obj.fields if f.name in owned)


class DownChange(models.Model):
    """A value the state owns, queued for one district's worker to write into its database.

    The district fetches them in ID order and says which it applied; each is applied once.
    """

    # Indexed by the composite index below (a lone district index would be one more to write).
    # No constraint in the database: only the state writes these, for a district it has just
    # authenticated, and a first resync queues one per person, each a per-row foreign-key
    # check; deleting a district still deletes its changes (Django's cascade).
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        related_name="down_changes",
        db_index=False,
        db_constraint=False,
    )
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    field = models.CharField(max_length=60)
    value = models.JSONField(null=True)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "state_downchange"
        ordering = ["id"]
        # The district's feed, in order: only what waits is indexed, so a page is read in ID
        # order and stops at its limit (a first resync queues one change per person).
        indexes = [
            models.Index(
                fields=["district", "id"],
                condition=models.Q(applied_at__isnull=True),
                name="downchange_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.district.number} {self.object} {self.record_id}.{self.field} = {self.value}"

    @classmethod
    def feed(
        cls, using: str, district: District, limit: int, after: int = 0
    ) -> list[handoff.DownChangeItem]:
        """The oldest `limit` changes waiting for `district` after change `after`, as the state
        API sends them (values, not model instances: a first resync's feed is one change per
        person)."""
        waiting = cls.objects.using(using).filter(district=district, applied_at=None, pk__gt=after)
        columns = ("pk", "object", "record_id", "field", "value", "reason", "created_at")
        rows = waiting.order_by("pk").values_list(*columns)[:limit]
        return [
            handoff.DownChangeItem(pk, name, record_id, field, value, reason, at.isoformat())
            for pk, name, record_id, field, value, reason, at in rows
        ]


class Conflict(models.Model):
    """A student (by state ID) whose primary enrollments in two districts overlap."""

    state_id = models.CharField(max_length=10)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="conflicts")
    enrollment_id = models.BigIntegerField()
    other_district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    other_enrollment_id = models.BigIntegerField()
    overlap_start = models.DateField()
    overlap_end = models.DateField(null=True, blank=True)  # open: the enrollments go on
    found_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "state_conflict"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "enrollment_id", "other_district", "other_enrollment_id"],
                name="conflict_pair",
            )
        ]

    def __str__(self) -> str:
        numbers = f"{self.district.number} and {self.other_district.number}"
        return f"State ID {self.state_id}: overlapping in {numbers}"

    @property
    def dates(self) -> str:
        end = self.overlap_end.isoformat() if self.overlap_end else "on"
        return f"{self.overlap_start.isoformat()} to {end}"
