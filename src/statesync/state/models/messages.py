"""The state's Message History: every message a district's door brought in, per district.

What the district keeps of a message it sent, the state keeps of a message it received — what
came in through which door, how long the state took over it, and what it answered — so state
staff answer "what did district 0042 send us on Tuesday, and what did we say?" without asking
the district (docs/MESSAGES.md). Records' IDs are packed into the message (core/messagelog.py)
and `ReceivedBucket` rows say which ID ranges it touched, as in the district.
"""

from __future__ import annotations

from django.db import models

from statesync.core.messagelog import BUCKET_BITS, hour_of, lag_bucket_of, unpack
from statesync.state.models.registry import District


class Origin(models.TextChoices):
    RUN = "run", "A resync run's batch"
    REALTIME = "realtime", "Real time (a save, a selective sync, a resend)"
    EDFI = "edfi", "The Ed-Fi API"
    DOWN = "down", "Changes the district said it applied"
    REQUEST = "request", "A resync request the district took"


class Result(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected (some or all)"


class ReceivedMessage(models.Model):
    """One message a district sent the state, and the state's answer."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    object = models.CharField(max_length=40)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    origin_ref = models.BigIntegerField(null=True, blank=True)  # the district's run N
    received_at = models.DateTimeField()
    answered_at = models.DateTimeField()
    lag_ms = models.IntegerField(default=0)  # received → answered: the state's own time
    hour = models.IntegerField(default=0)  # hour_of(received_at), for the summary
    lag_bucket = models.SmallIntegerField(default=0)
    result = models.CharField(max_length=10, choices=Result.choices)
    records = models.IntegerField(default=0)
    inserted = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    deleted = models.IntegerField(default=0)
    stale = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    codes = models.CharField(max_length=200, blank=True)  # the rule codes, comma-separated
    # The records carried, packed: upserts and deletions; each rejected record's codes by ID.
    upserts = models.BinaryField(default=b"")
    deletes = models.BinaryField(default=b"")
    problems = models.JSONField(default=dict)

    class Meta:
        db_table = "state_received_message"
        ordering = ["-id"]
        # A district's page counts and pages by these alone (see the district's Message).
        indexes = [
            models.Index(
                fields=["district", "received_at", "result", "object", "records"],
                name="received_when",
            ),
            models.Index(
                fields=["district", "hour", "lag_bucket"],
                name="received_lag",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} from {self.district_id}: {self.object}"

    def save(self, *args, **kwargs) -> None:
        self.fill_buckets()
        super().save(*args, **kwargs)

    def fill_buckets(self) -> None:
        """The hour and lag bucket the page's summary counts by."""
        self.hour = hour_of(self.received_at)
        self.lag_bucket = lag_bucket_of(self.lag_ms) or 0

    @property
    def origin_label(self) -> str:
        if self.origin == Origin.RUN and self.origin_ref is not None:
            return f"run {self.origin_ref}"
        return self.get_origin_display()

    def ids(self) -> list[int]:
        return sorted(unpack(self.upserts) + unpack(self.deletes))

    def items(self) -> list[tuple[int, str, str]]:
        """(record ID, action, its codes or '') for each record carried, in ID order."""
        found = [(i, "upsert", self.problems.get(str(i), "")) for i in unpack(self.upserts)]
        found += [(i, "delete", "") for i in unpack(self.deletes)]
        return sorted(found)


class ReceivedBucket(models.Model):
    """Which of a district's messages carried records of an ID range (256 IDs)."""

    message = models.ForeignKey(ReceivedMessage, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    object = models.CharField(max_length=40)
    bucket = models.BigIntegerField()

    class Meta:
        db_table = "state_received_bucket"
        indexes = [
            models.Index(fields=["district", "object", "bucket"], name="received_bucket"),
        ]

    def __str__(self) -> str:
        first = self.bucket << BUCKET_BITS
        return (
            f"{self.object} {first}-{first + (1 << BUCKET_BITS) - 1} in message {self.message_id}"
        )
