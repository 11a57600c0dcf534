"""What waits for the identity resolver: each batch's people and primary enrollments, in the
order they arrived (docs/STATE_OWNED.md, "Identity beside intake")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from statesync.state.models.registry import District


class IdentityWork(models.Model):
    """One accepted batch's records whose identity the resolver settles: state IDs issued or
    matched (people), overlaps across districts (enrollments). Its ID is the arrival order;
    the row is deleted when resolved, so the table holds only what is waiting."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, db_index=False)
    object = models.CharField(max_length=40)
    run = models.BigIntegerField(null=True, blank=True)
    # The records as the district sent them and the digests stored with them (msgpack).
    payload = models.BinaryField()
    records = models.PositiveIntegerField()
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "state_identitywork"
        ordering = ["id"]
        indexes = [models.Index(fields=["district", "id"], name="identitywork_district")]

    def __str__(self) -> str:
        return f"identity work {self.pk}: {self.records} {self.object} of {self.district_id}"

    @classmethod
    def pending(cls, using: str, district_id: int) -> int:
        """How many of the district's records wait for identity."""
        waiting = cls.objects.using(using).filter(district_id=district_id)
        return waiting.aggregate(n=models.Sum("records"))["n"] or 0
