"""Batch resync runs and their per-object results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from statesync.access.rights import is_security_role
from statesync.core import catalog
from statesync.core.modes import Mode
from statesync.district.models.statuses import ACTIVE_STATUSES, RunStatus
from statesync.district.models.years import SchoolYear


class Run(models.Model):
    """One batch resync: its plan, its lifecycle, and who asked for it."""

    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.DIFFERENTIAL)
    school_year = models.IntegerField()
    check_dependencies = models.BooleanField(default=False)
    status = models.CharField(max_length=30, choices=RunStatus.choices, default=RunStatus.QUEUED)
    message = models.TextField(blank=True, help_text="Why the run failed or was cancelled.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    requested_from = models.CharField(max_length=20, default="cli")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # When the state's identity resolver had settled every record this run sent that awaited
    # it, and their state IDs were applied here (None: none awaited, or not yet).
    identity_settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "district_run"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="run_status")]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.mode}, {self.status})"

    @classmethod
    def plan(
        cls,
        selected: Iterable[str],
        mode: str = Mode.DIFFERENTIAL,
        check_dependencies: bool = False,
        school_year: int | None = None,
        requested_by: Any = None,
        requested_from: str = "cli",
    ) -> Run:
        """A queued run of the planned objects, each with its own (empty) result row.

        Raises catalog.PlanError or catalog.UnknownObject for a selection that cannot run.
        """
        if mode not in Mode.values:
            raise catalog.PlanError(f"mode {mode!r} is not one of {', '.join(Mode.values)}")
        objects = catalog.plan(selected, check_dependencies)
        with transaction.atomic():
            scoped = SchoolYear.current_locked()
            known = SchoolYear.known()
            if school_year is not None and school_year not in known:
                years = ", ".join(f"{catalog.year_label(y)} (--year {y})" for y in known)
                raise catalog.PlanError(
                    f"the district has no school year {school_year} "
                    f"({catalog.year_label(school_year)}): its years are {years}"
                )
            run = cls.objects.create(
                mode=mode,
                school_year=school_year or scoped,
                check_dependencies=check_dependencies,
                requested_by=requested_by,
                requested_from=requested_from,
            )
            RunObject.objects.bulk_create(
                RunObject(run=run, object=name, position=i) for i, name in enumerate(objects)
            )
        return run

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def objects_in_order(self) -> list[RunObject]:
        return list(self.run_objects.order_by("position"))

    @property
    def queue_position(self) -> int | None:
        """1 for the next run to start; None unless queued."""
        if self.status != RunStatus.QUEUED:
            return None
        return Run.objects.filter(status=RunStatus.QUEUED, pk__lt=self.pk).count() + 1

    def may_be_cancelled_by(self, user: Any) -> bool:
        """Batch R lets anyone start a run, but only its starter or the security role may stop
        it (a run the state asked for has no starter: the security role only)."""
        if is_security_role(user):
            return True
        return self.requested_by_id is not None and self.requested_by_id == user.pk

    def request_cancel(self) -> bool:
        """Cancel now if queued; ask a running run to stop at its next batch. False if ended."""
        if self.status == RunStatus.QUEUED:
            updated = Run.objects.filter(pk=self.pk, status=RunStatus.QUEUED).update(
                status=RunStatus.CANCELLED,
                message="Cancelled before it started.",
                finished_at=timezone.now(),
                cancel_requested=True,
            )
            if updated:
                self.refresh_from_db()
                self.run_objects.update(status=ObjectStatus.SKIPPED)
                return True
            self.refresh_from_db()  # it started meanwhile: stop it like a running one
        if self.status == RunStatus.RUNNING:
            Run.objects.filter(pk=self.pk).update(cancel_requested=True)
            self.cancel_requested = True
            return True
        return False

    def _verified(self) -> dict:
        """What verify adds: the drift, and the differences (the first thousand)."""
        return {
            "changed_nothing": True,
            "drift": sum(ro.drift for ro in self.run_objects.all()),
            "differences": [
                {"object": d.object, "record_id": d.record_id, "kind": d.kind, "fields": d.fields}
                for d in self.differences.order_by("id")[:1000]
            ],
        }

    def start(self) -> None:
        self.status = RunStatus.RUNNING
        self.started_at = self.started_at or timezone.now()
        self.heartbeat_at = timezone.now()
        self.save(update_fields=["status", "started_at", "heartbeat_at"])

    def beat(self) -> None:
        """Record that a worker is on this run (running), or a task waits to start it (queued)."""
        self.heartbeat_at = timezone.now()
        Run.objects.filter(pk=self.pk).update(heartbeat_at=self.heartbeat_at)

    @property
    def errors(self) -> int:
        """Records rejected in this run, over all its objects."""
        return self.run_objects.aggregate(n=models.Sum("errors"))["n"] or 0

    def errors_by_object(self) -> dict[str, int]:
        """Each object with rejected records, in the run's order: object → how many."""
        with_errors = self.run_objects.filter(errors__gt=0).order_by("position")
        return dict(with_errors.values_list("object", "errors"))

    def finish(self) -> None:
        """End the run; its outcome follows from the errors its objects met."""
        self.status = RunStatus.COMPLETED_WITH_ERRORS if self.errors else RunStatus.SUCCEEDED
        self._end()
        year, _ = SchoolYear.objects.get_or_create(end_year=self.school_year)
        year.note_run(self)

    @property
    def awaiting_identity(self) -> int:
        """Records of this run that awaited the state's identity resolver."""
        return self.run_objects.aggregate(n=models.Sum("awaiting_identity"))["n"] or 0

    def identity_settled(self) -> None:
        self.identity_settled_at = timezone.now()
        self.save(update_fields=["identity_settled_at"])

    def fail(self, reason: str) -> None:
        self.status = RunStatus.FAILED
        self.message = reason
        self._end()

    def cancel(self, reason: str = "Cancelled.") -> None:
        self.status = RunStatus.CANCELLED
        self.message = reason
        self._end()

    def _end(self) -> None:
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "message", "finished_at"])
        self.run_objects.filter(status__in=[ObjectStatus.PENDING, ObjectStatus.RUNNING]).update(
            status=ObjectStatus.FAILED if self.status == RunStatus.FAILED else ObjectStatus.SKIPPED
        )

    def result(self) -> dict:
        """The run as docs/DESIGN.md §10's JSON result."""
        return {
            "run": self.pk,
            "status": self.status,
            "queue_position": self.queue_position,
            "mode": self.mode,
            "school_year": self.school_year,
            "message": self.message,
            "objects": [ro.result() for ro in self.objects_in_order],
            **(self._verified() if self.mode == Mode.VERIFY else {}),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "awaiting_identity": self.awaiting_identity,
            "identity_settled_at": (
                self.identity_settled_at.isoformat() if self.identity_settled_at else None
            ),
        }


class ObjectStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


COUNTERS = ("processed", "inserted", "updated", "unchanged", "deleted", "errors")


class RunObject(models.Model):
    """One object's part of a run: progress, counts and the checkpoint a resumed run starts from."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="run_objects")
    object = models.CharField(max_length=40)
    position = models.IntegerField()
    status = models.CharField(
        max_length=20, choices=ObjectStatus.choices, default=ObjectStatus.PENDING
    )
    total = models.IntegerField(default=0, help_text="Records in scope when the object started.")
    processed = models.IntegerField(default=0)
    inserted = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    deleted = models.IntegerField(default=0)
    errors = models.IntegerField(default=0)
    # Verify: differences the Error Log explains (the state rejected those records).
    rejected_known = models.IntegerField(default=0)
    # Verify: records the state holds (matching, different or extra).
    at_state = models.IntegerField(default=0)
    # Accepted records whose identity the state's resolver settles after their batch (people's
    # state IDs, enrollments across districts): the run's answers said so.
    awaiting_identity = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)
    # The highest district ID whose batch the state has answered: a resumed run goes on after it.
    checkpoint = models.BigIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "district_runobject"
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "object"], name="runobject_unique"),
        ]
        indexes = [models.Index(fields=["object", "run"], name="runobject_latest")]

    def __str__(self) -> str:
        return f"{self.object} in run {self.run_id}"

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.processed / self.total)) if self.total else 0

    @property
    def rejected_records(self) -> int:
        """Records the state rejects, as the run's page shows them: a resync's errors, a
        verify's known rejections (a verify's errors are records it could not read)."""
        return self.rejected_known if self.run.mode == Mode.VERIFY else self.errors

    @property
    def drift(self) -> int:
        """Verify: the differences nothing explains (missing, different or extra, less the
        records the state is known to have rejected, which are counted apart)."""
        return self.inserted + self.updated + self.deleted

    def result(self) -> dict:
        found = {
            "object": self.object,
            "status": self.status,
            **{name: getattr(self, name) for name in COUNTERS},
            "total": self.total,
            "seconds": round(self.seconds, 3),
            "awaiting_identity": self.awaiting_identity,
        }
        if self.run.mode == Mode.VERIFY:
            found |= {"rejected_known": self.rejected_known, "drift": self.drift}
        return found

    def summary(self) -> dict:
        """The object's figures as the state's Year Status and Verification Summary take them
        (wire.ObjectSummary): a verify's comparison, or a resync's processed and errors."""
        found = {"object": self.object, "processed": self.processed, "errors": self.errors}
        if self.run.mode == Mode.VERIFY:
            found |= self.comparison()
        return found

    def comparison(self) -> dict[str, int]:
        """Verify: the record counts on each side and how they compare."""
        return {
            "in_district": self.processed,
            "at_state": self.at_state,
            "matching": self.unchanged,
            "different": self.updated,
            "missing": self.inserted,
            "extra": self.deleted,
            "rejected": self.rejected_known,
        }
