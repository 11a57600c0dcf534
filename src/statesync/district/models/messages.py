"""The Message History: every message between the district and the state, and what came of it.

A message is one send of one object's records: a batch of a resync run, what a real-time drain
sent of one object, a selective sync's records, a page of changes the state sent down, a request
the state made. Its records' IDs are packed into the message, and `MessageBucket` rows say which
ID ranges it touched, so a search by ID looks into a few messages, and a first resync's
hundreds of thousands of records cost a few hundred rows; what was sent, byte for byte, and the
state's answer are kept apart (`SentBody`) for fewer days than the messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, models, transaction

from statesync.core.messagelog import BUCKET_BITS, hour_of, lag_bucket_of, unpack


class Origin(models.TextChoices):
    SAVE = "save", "A save (real-time sync)"
    RUN = "run", "A resync run"
    SELECTIVE = "selective", "A selective sync"
    DOWN = "down", "A change the state sent down"
    REQUEST = "request", "A request the state made"
    RESEND = "resend", "Sent again from the Message History"
    DATA_TOOL = "datatool", "Sent from the Data Tool"


class Result(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    NOT_SENT = "not_sent", "Not sent"
    RETRYING = "retrying", "Waiting to retry"


class Action(models.TextChoices):
    ADD = "add", "Add"
    CHANGE = "change", "Change"
    DELETE = "delete", "Delete"


class Message(models.Model):
    """One message to or from the state, with its times, tries and result."""

    object = models.CharField(max_length=40)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    # Run N, selective sync N, the message a resend repeats; none for a save or a sync down.
    origin_ref = models.BigIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    lag_ms = models.IntegerField(null=True, blank=True)  # queued → answered
    # For the summary's GROUP BY, written with the message: whole hours since 1970 (of
    # queued_at) and the lag's bucket (lag_bucket_of).
    hour = models.IntegerField(default=0)
    lag_bucket = models.SmallIntegerField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    result = models.CharField(max_length=10, choices=Result.choices)
    records = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    codes = models.CharField(max_length=200, blank=True)  # the rule codes, comma-separated
    reason = models.TextField(blank=True)  # why not sent, or still waiting
    # The records carried, packed (pack()): upserts, those of them the state did not hold
    # (adds), deletions; and for each record not accepted, its codes (or the sync down's
    # outcome). Packed, a batch's 2,000 IDs are one value, not 2,000 rows.
    upserts = models.BinaryField(default=b"")
    added = models.BinaryField(default=b"")
    deletes = models.BinaryField(default=b"")
    problems = models.JSONField(default=dict)

    class Meta:
        db_table = "district_message"
        ordering = ["-id"]
        # The summary's GROUP BYs read these alone, never the rows (a million rows' lookups
        # cost 0.3-0.7 s a query): by date, by result (and object), by hour.
        indexes = [
            models.Index(
                fields=["queued_at", "result", "object", "records", "hour", "lag_bucket"],
                name="message_queued",
            ),
            models.Index(
                fields=["result", "object", "records", "hour", "lag_bucket"],
                name="message_result",
            ),
            models.Index(fields=["hour", "lag_bucket"], name="message_lag"),
            models.Index(fields=["origin", "origin_ref"], name="message_origin"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}: {self.object} ({self.get_origin_display()})"

    def save(self, *args, **kwargs) -> None:
        """Save, keeping its hour, its lag's bucket and the day's tally with it."""
        self.hour = hour_of(self.queued_at)
        self.lag_bucket = lag_bucket_of(self.lag_ms)
        # No savepoint inside a batch's transaction: a failure there undoes the batch anyway.
        with transaction.atomic(savepoint=False):
            if self.pk is not None:
                before = Message.objects.filter(pk=self.pk).values(*TALLIED).first()
                if before is not None:
                    MessageTally.add(-1, **before)
            super().save(*args, **kwargs)
            MessageTally.add(1, **{name: getattr(self, name) for name in TALLIED})

    @property
    def origin_label(self) -> str:
        labels = {
            Origin.RUN: f"run {self.origin_ref}",
            Origin.SELECTIVE: f"selective sync {self.origin_ref}",
            Origin.RESEND: f"resend of message {self.origin_ref}",
            Origin.DATA_TOOL: f"Data Tool (record {self.origin_ref})",
        }
        return labels.get(self.origin, self.get_origin_display())  # type: ignore[call-overload]

    def items(self) -> list[Item]:
        """Every record carried, in ID order, with its action and result."""
        added = set(unpack(self.added))
        actions = [(i, Action.ADD if i in added else Action.CHANGE) for i in unpack(self.upserts)]
        actions += [(i, Action.DELETE) for i in unpack(self.deletes)]
        waiting = self.result in (Result.NOT_SENT, Result.RETRYING)
        found = []
        for record_id, action in sorted(actions):
            codes = self.problems.get(str(record_id), "")
            result = self.result if waiting else Result.REJECTED if codes else Result.ACCEPTED
            found.append(Item(record_id, action, result, codes))
        return found

    def first_ids(self, count: int) -> list[int]:
        """The lowest `count` record IDs carried: a row's preview, without building items."""
        return sorted(unpack(self.upserts) + unpack(self.deletes))[:count]

    @property
    def can_resend(self) -> bool:
        """Up-going messages that did not all reach the state can be sent again."""
        failed = self.result in (Result.REJECTED, Result.NOT_SENT)
        return failed and self.origin not in (Origin.DOWN, Origin.REQUEST)


@dataclass(frozen=True)
class Item:
    """One record a message carried, and what became of it."""

    record_id: int
    action: str
    result: str
    codes: str

    @property
    def action_label(self) -> str:
        return Action(self.action).label

    @property
    def result_label(self) -> str:
        return Result(self.result).label


class MessageBucket(models.Model):
    """Which messages carried records of an ID range (a bucket): how a search by ID finds the
    few messages to look into, without a row per record carried (a first resync carries
    hundreds of thousands of records in a few hundred messages)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    object = models.CharField(max_length=40)
    bucket = models.BigIntegerField()

    class Meta:
        db_table = "district_message_bucket"
        indexes = [models.Index(fields=["object", "bucket"], name="message_bucket")]

    def __str__(self) -> str:
        first = self.bucket << BUCKET_BITS
        return (
            f"{self.object} {first}-{first + (1 << BUCKET_BITS) - 1} in message {self.message_id}"
        )


TALLIED = ("queued_at", "object", "origin", "result", "records")


class MessageTally(models.Model):
    """Messages and records per day, object, origin and result, kept as messages are saved:
    the Message History's counts without a look at a million rows (docs/MESSAGES.md)."""

    day = models.DateField()
    object = models.CharField(max_length=40)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    messages = models.BigIntegerField(default=0)
    records = models.BigIntegerField(default=0)

    class Meta:
        db_table = "district_message_tally"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "object", "origin", "result"], name="message_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.object} {self.origin} {self.result}: {self.messages}"

    @classmethod
    def add(cls, sign: int, queued_at, object: str, origin: str, result: str, records: int) -> None:
        """Count one message in (sign 1) or out (-1) of its day's tally, in one statement
        (concurrent savers each add theirs)."""
        day = queued_at.astimezone(dt.UTC).date()
        table = cls._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, object, origin, result, messages, records) "
                "VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (day, object, origin, result) DO UPDATE SET "
                f"messages = {table}.messages + excluded.messages, "
                f"records = {table}.records + excluded.records",
                [day, object, origin, result, sign, sign * records],
            )


class SentBody(models.Model):
    """A message's body as sent and the state's answer as received: kept SENT_KEEP_DAYS."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, primary_key=True)
    body = models.BinaryField()
    answer = models.BinaryField(blank=True)

    class Meta:
        db_table = "district_sent_body"

    def __str__(self) -> str:
        return f"what message {self.message_id} sent"
