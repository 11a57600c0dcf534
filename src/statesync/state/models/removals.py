"""Records the state removed from a district's copy (the Record Deleter, docs/RECORD_DELETER.md)."""

from __future__ import annotations

from django.db import models

from statesync.state.models.registry import District


class Removal(models.Model):
    """A record removed at the state, and the version of the copy removed: a message of that
    version or older (delayed, or sent again) does not bring it back; a newer change does,
    and so does a resync run's batch (the district still has it, and says so)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    version = models.BigIntegerField(null=True, blank=True)
    removed_by = models.CharField(max_length=150)
    removed_at = models.DateTimeField(auto_now_add=True)
    # The record the user asked to remove, when this one went with it as a child.
    under = models.CharField(max_length=80, blank=True)

    class Meta:
        db_table = "state_removal"
        ordering = ["-removed_at", "object", "record_id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "object", "record_id"], name="removal_key")
        ]

    def __str__(self) -> str:
        return f"{self.object} {self.record_id} removed by {self.removed_by}"
