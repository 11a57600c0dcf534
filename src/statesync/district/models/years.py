"""School years: the scoped one, the two mandatory full resyncs, and rollover (docs/YEARS.md).

A year's *end-of-year resync* is its latest full resync (every object, sending mode, ended);
its *start-of-year resync* is its first full resync after rollover made it the scoped year.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from statesync.core import catalog
from statesync.core.modes import Mode
from statesync.core.years import EndYear, year_of
from statesync.district.models.statuses import ACTIVE_STATUSES, FULL_RUN_STATUSES

if TYPE_CHECKING:
    from statesync.district.models.runs import Run


class RolloverRefused(Exception):
    """Rollover cannot switch the scoped year; `objects` lists those that still have errors."""

    def __init__(self, message: str, objects: dict[str, int] | None = None):
        super().__init__(message)
        self.objects = objects or {}


class SchoolYear(EndYear):
    """A school year of the district; the scoped (active) one is what resync sends."""

    active = models.BooleanField(default=False)
    scoped_at = models.DateTimeField(
        null=True, blank=True, help_text="When rollover made this the scoped year."
    )
    start_of_year_run = models.ForeignKey(
        "district.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whether the state has this year's latest summary (reported after each run and rollover).
    reported = models.BooleanField(default=False)

    class Meta(EndYear.Meta):
        db_table = "district_schoolyear"

    @classmethod
    def current(cls) -> int:
        """The scoped school year, or the one today falls in (July starts a new one)."""
        active = cls.objects.filter(active=True).values_list("end_year", flat=True).first()
        if active:
            return active
        return year_of(datetime.date.today())

    @classmethod
    def current_locked(cls) -> int:
        """current(), holding the scoped year's row until the transaction ends: a run planned
        and a rollover then take turns, so no run is planned for a year rolled over meanwhile."""
        locked = cls.objects.select_for_update().filter(active=True)
        active = locked.values_list("end_year", flat=True).first()
        return active or year_of(datetime.date.today())

    @classmethod
    def scoped(cls) -> SchoolYear:
        year, _ = cls.objects.get_or_create(end_year=cls.current(), defaults={"active": True})
        return year

    @classmethod
    def activate(cls, end_year: int) -> None:
        """Make `end_year` the scoped year outright (seeding); rollover is the checked way."""
        cls.objects.exclude(end_year=end_year).update(active=False)
        cls.objects.update_or_create(end_year=end_year, defaults={"active": True})

    @classmethod
    def known(cls) -> list[int]:
        """The school years the district has (seeded, rolled over to, or scoped now), newest
        first: a resync of any other would send nothing and count as that year's."""
        years = set(cls.objects.values_list("end_year", flat=True)) | {cls.current()}
        return sorted(years, reverse=True)

    @classmethod
    def offered(cls) -> list[int]:
        """The years the batch tool resyncs: the scoped one and, until its end-of-year resync
        ended without errors, the previous one."""
        scoped = cls.current()
        previous = cls.objects.filter(end_year=scoped - 1).first()
        if previous is None:
            return [scoped]
        last = previous.end_of_year_run()
        accepted = last is not None and last.status == "succeeded"
        return [scoped] if accepted else [scoped, scoped - 1]

    def full_runs(self) -> models.QuerySet[Run]:
        """This year's ended full resyncs (every object, a sending mode), newest first."""
        runs = _run_model()
        return (
            runs.objects.filter(
                school_year=self.end_year,
                mode__in=[Mode.DIFFERENTIAL, Mode.FORCE],
                status__in=FULL_RUN_STATUSES,
            )
            .annotate(planned=models.Count("run_objects"))
            .filter(planned=len(catalog.NAMES))
            .order_by("-finished_at", "-pk")
        )

    def end_of_year_run(self) -> Run | None:
        return self.full_runs().first()

    def last_verify(self) -> Run | None:
        runs = _run_model()
        verifies = runs.objects.filter(
            school_year=self.end_year, mode=Mode.VERIFY, status__in=FULL_RUN_STATUSES
        )
        return verifies.order_by("-finished_at", "-pk").first()

    def note_run(self, run: Run) -> None:
        """A run of this year ended: the first full one after rollover is the start-of-year
        resync; the state is due a fresh summary either way."""
        self.reported = False
        fields = ["reported"]
        if (
            self.scoped_at is not None
            and self.start_of_year_run_id is None
            and self.full_runs().filter(pk=run.pk, started_at__gte=self.scoped_at).exists()
        ):
            self.start_of_year_run = run
            fields.append("start_of_year_run")
        self.save(update_fields=fields)

    @classmethod
    def rollover(cls, anyway: bool = False) -> SchoolYear:
        """Switch the scoped year to the next one, after its end-of-year resync.

        Raises RolloverRefused when that resync is missing, or ended with errors and not
        `anyway` (its `objects` then names each object with errors and how many).
        """
        runs = _run_model()
        with transaction.atomic():
            cls.current_locked()  # runs planned now wait, and those planned before are seen
            old = cls.scoped()
            label = old.label
            if runs.objects.filter(status__in=ACTIVE_STATUSES).exists():
                raise RolloverRefused(
                    "A resync is queued or running; roll over once it has ended, so it counts "
                    f"for the year it was sent for ({label})."
                )
            last = old.end_of_year_run()
            if last is None:
                raise RolloverRefused(
                    f"{label} has no end-of-year resync: run a full resync of every object for "
                    f"{label} (Resync State Data - Batch, or `statesync resync --all`) first."
                )
            with_errors = last.errors_by_object()
            if with_errors and not anyway:
                raise RolloverRefused(
                    f"{label}'s end-of-year resync (run {last.pk}) ended with errors in "
                    f"{len(with_errors)} object(s); fix them and resync, or roll over anyway.",
                    with_errors,
                )
            new, _ = cls.objects.get_or_create(end_year=old.end_year + 1)
            cls.objects.exclude(pk=new.pk).update(active=False)
            new.active, new.scoped_at, new.reported = True, timezone.now(), False
            new.save(update_fields=["active", "scoped_at", "reported"])
            cls.objects.filter(pk=old.pk).update(reported=False)
        return new

    def summary(self) -> dict[str, Any]:
        """What the state is told of this year (wire.YearReport's fields)."""
        return {
            "school_year": self.end_year,
            "scoped": self.active,
            "scoped_at": self.scoped_at.isoformat() if self.scoped_at else None,
            "end_of_year": _run_summary(self.end_of_year_run()),
            "start_of_year": _run_summary(self.start_of_year_run),
            "last_verify": _run_summary(self.last_verify()),
        }


def _run_summary(run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    objects = run.objects_in_order
    return {
        "run": run.pk,
        "mode": run.mode,
        "status": run.status,
        "requested_by": run.requested_by.get_username() if run.requested_by else "",
        "requested_from": run.requested_from,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "errors": sum(ro.errors for ro in objects),
        "objects": [ro.summary() for ro in objects],
    }


def _run_model() -> type[Run]:
    """The Run model, from Django's registry: runs.py imports this module, not the reverse."""
    return apps.get_model("district", "Run")
