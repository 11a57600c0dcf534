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
    # Tries that failed; MAX_ATTEMPTS failed and the batch is set aside with why (`failed`), so one
    # bad batch does not stop identity for every district behind it.
    attempts = models.PositiveSmallIntegerField(default=0)
    failed = models.TextField(blank=True)

    class Meta:
        db_table = "state_identitywork"
        ordering = ["id"]
        indexes = [models.Index(fields=["district", "id"], name="identitywork_district")]

    MAX_ATTEMPTS = 3

    def __str__(self) -> str:
        return f"identity work {self.pk}: {self.records} {self.object} of {self.district_id}"

    @classmethod
    def queue(cls, using: str) -> models.QuerySet[IdentityWork]:
        """What waits, oldest first (not what was set aside)."""
        return cls.objects.using(using).filter(failed="").order_by("id")

    @classmethod
    def pending(cls, using: str, district_id: int) -> int:
        """How many of the district's records wait for identity."""
        waiting = cls.queue(using).filter(district_id=district_id)
        return waiting.aggregate(n=models.Sum("records"))["n"] or 0

    @classmethod
    def note_failure(cls, using: str, pk: int, error: str) -> bool:
        """Count a failed try at `pk`; whether it is now set aside."""
        cls.objects.using(using).filter(pk=pk).update(attempts=models.F("attempts") + 1)
        set_aside = cls.objects.using(using).filter(pk=pk, attempts__gte=cls.MAX_ATTEMPTS)
        return bool(set_aside.update(failed=error[:2000]))
