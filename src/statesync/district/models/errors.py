"""The error log (what the state rejected, and why) and verify's differences."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from statesync.core import catalog
from statesync.core.sync.diff import Kind
from statesync.core.sync.pipeline import DISTRICT, STATE, Problem
from statesync.district.models.runs import Run


class ErrorSource(models.TextChoices):
    """Which door a rejection came through (the engine's problem origins, and the two tools)."""

    STATE = STATE, "Rejected by the state (resync)"
    DISTRICT = DISTRICT, "Unreadable in the district (resync)"
    REALTIME = "realtime", "Rejected by the state (real-time sync)"
    SELECTIVE = "selective", "Rejected by the state (selective sync)"
    IDENTITY = "identity", "Rejected by the state after acceptance (identity resolver)"


SUPERSEDE_CHUNK = 900  # IDs per statement: under SQLite's limit on bound parameters


class ErrorLogEntry(models.Model):
    """A record the state rejected (or the district could not read), and why."""

    run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.CASCADE, related_name="error_entries"
    )
    source = models.CharField(max_length=20, choices=ErrorSource.choices)
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    school_id = models.BigIntegerField(null=True, blank=True)
    code = models.CharField(max_length=20)
    field = models.CharField(max_length=60, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # The record's latest judgement: a later one (accepted or rejected again) supersedes it.
    current = models.BooleanField(default=True)

    class Meta:
        db_table = "district_errorlog"
        ordering = ["-id"]
        verbose_name_plural = "error log entries"
        indexes = [
            models.Index(fields=["run", "object"], name="errorlog_run"),
            models.Index(fields=["object", "code"], name="errorlog_object_code"),
            models.Index(fields=["school_id"], name="errorlog_school"),
            models.Index(fields=["object", "record_id"], name="errorlog_record"),
            models.Index(fields=["current", "object", "code"], name="errorlog_current"),
        ]

    def __str__(self) -> str:
        return f"{self.object} {self.record_id}: {self.code} {self.message}"

    @classmethod
    def supersede(cls, name: str, ids: Iterable[int]) -> None:
        """The records `ids` of `name` were judged again: their earlier entries are history."""
        wanted = set(ids)
        if not wanted:
            return
        # One look over the batch's ID range finds the few with entries (a clean district has
        # none), rather than an update per piece of an IN list on every batch.
        current = cls.objects.filter(object=name, current=True)
        within = current.filter(record_id__range=(min(wanted), max(wanted)))
        judged = sorted(set(within.values_list("record_id", flat=True)) & wanted)
        for start in range(0, len(judged), SUPERSEDE_CHUNK):
            current.filter(record_id__in=judged[start : start + SUPERSEDE_CHUNK]).update(
                current=False
            )

    @classmethod
    def from_problem(
        cls, name: str, problem: Problem, run: Run | None = None, source: str = ""
    ) -> ErrorLogEntry:
        """The entry for a record that did not reach the state (not saved yet)."""
        return cls(
            run=run,
            source=source or problem.origin,
            object=name,
            record_id=problem.record_id,
            school_id=problem.school_id,
            code=problem.code,
            field=problem.field,
            message=problem.message,
        )

    def as_dict(self) -> dict:
        return {
            "run": self.run_id,
            "source": self.source,
            "object": self.object,
            "record_id": self.record_id,
            "school_id": self.school_id,
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
        }


class DifferenceKind(models.TextChoices):
    MISSING = "missing", "Missing at the state"
    CHANGED = "changed", "Different at the state"
    EXTRA = "extra", "At the state, no longer in the district"
    REJECTED = "rejected", "Rejected by the state (in the Error Log)"


DIFFERENCE_OF = {
    Kind.NEW: DifferenceKind.MISSING,
    Kind.CHANGED: DifferenceKind.CHANGED,
    Kind.EXTRA: DifferenceKind.EXTRA,
}


class Difference(models.Model):
    """What a verify run found different between district and state."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="differences")
    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=DifferenceKind.choices)
    # For a record different at the state: the columns that differ.
    fields = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "district_difference"
        ordering = ["run", "object", "record_id"]

    def __str__(self) -> str:
        return f"{self.object} {self.record_id}: {self.get_kind_display()}"

    @property
    def field_labels(self) -> str:
        return ", ".join(catalog.field_label(f) for f in self.fields)
