"""Executing a run: each object in plan order, compared and sent in batches, with checkpoints.

After every batch the state has answered, the object's counts, its error-log entries and its
checkpoint (the highest ID reconciled) are saved in one transaction. A resumed run goes on
from the checkpoint; what it sends again the state finds unchanged, so nothing applies twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from statesync import catalog, wire
from statesync.district.models import (
    COUNTERS,
    Difference,
    DifferenceKind,
    ErrorLogEntry,
    Mode,
    ObjectStatus,
    Run,
    RunObject,
    RunStatus,
)
from statesync.sync import source
from statesync.sync.client import StateClient, StateError
from statesync.sync.diff import Change, Kind, compare

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
PROGRESS_EVERY = 1.0  # seconds between progress saves when nothing else forces one


class Cancelled(Exception):
    pass


class LeaseLost(Exception):
    """Another worker took the run over (this one looked dead): stop without ending it."""


Progress = Callable[[RunObject], None]


def execute(
    run: Run,
    client: StateClient | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress | None = None,
    lease=None,
) -> Run:
    """Run (or resume) `run` to its end; never raises for what the state or data did.

    `lease` (background.Lease) is checked at every batch: if it was lost, stop quietly.
    """
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return run
    run.start()
    own_client = client is None
    try:
        client = client or StateClient()
        for run_object in run.run_objects.order_by("position"):
            if run_object.status == ObjectStatus.DONE:
                continue
            ObjectSync(run, run_object, client, batch_size, on_progress, lease).execute()
        run.finish()
    except LeaseLost:
        log.warning("run %s was taken over by another worker", run.pk)
    except Cancelled:
        run.cancel("Cancelled while running; everything sent before that is at the state.")
    except StateError as exc:
        run.fail(str(exc))
    except Exception as exc:  # the run must end visibly, whatever broke
        log.exception("run %s crashed", run.pk)
        run.fail(
            f"statesync hit an internal error ({exc.__class__.__name__}: {exc}). "
            "Run again; if it repeats, report it with the worker's log."
        )
    finally:
        if own_client and client is not None:
            client.close()
    return run


class ObjectSync:
    """One object's part of a run."""

    def __init__(
        self,
        run: Run,
        run_object: RunObject,
        client: StateClient,
        batch_size: int,
        on_progress: Progress | None,
        lease=None,
    ):
        self.lease = lease
        self.run = run
        self.ro = run_object
        self.client = client
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.obj = catalog.get(run_object.object)
        self.upserts: list[source.Outgoing] = []
        self.extras: list[int] = []
        self.errors: list[ErrorLogEntry] = []
        self.differences: list[Difference] = []
        self.position = run_object.checkpoint or 0
        self.verify = run.mode == Mode.VERIFY
        self.force = run.mode == Mode.FORCE

    def execute(self) -> None:
        ro = self.ro
        if ro.checkpoint is None:
            ro.total = source.count(self.obj.name, self.run.school_year)
        ro.status = ObjectStatus.RUNNING
        ro.save(update_fields=["status", "total"])
        self.clock = time.monotonic() - ro.seconds
        self.last_save = time.monotonic()
        after = ro.checkpoint or 0
        year = self.run.school_year if self.obj.year_scoped else None
        changes = compare(
            source.records(self.obj.name, self.run.school_year, after),
            self.client.digests(self.obj.name, year, after),
        )
        for change in changes:
            self.take(change)
            self.position = change.id
            if self._flush_due():
                self.flush()
        self.flush()
        ro.status = ObjectStatus.DONE
        ro.finished_at = timezone.now()
        ro.save(update_fields=["status", "finished_at"])

    def _flush_due(self) -> bool:
        full = max(len(self.upserts), len(self.extras)) >= self.batch_size
        return full or time.monotonic() - self.last_save >= PROGRESS_EVERY

    def take(self, change: Change) -> None:
        ro = self.ro
        if change.kind is Kind.EXTRA:
            self.extras.append(change.id)
            return
        ro.processed += 1
        if change.kind is Kind.UNREADABLE:
            bad = change.record
            ro.errors += 1
            self.errors.append(self._entry(bad.id, "E-FORMAT", bad.field, bad.message, "district"))
        elif change.kind is Kind.SAME and not self.force:
            ro.unchanged += 1
        elif self.verify:
            if change.kind is Kind.NEW:
                ro.inserted += 1
                self._differ(change.id, DifferenceKind.MISSING)
            else:
                ro.updated += 1
                self._differ(change.id, DifferenceKind.CHANGED)
        else:
            self.upserts.append(change.record)

    def flush(self) -> None:
        """Send what is pending, then save counts, errors and the checkpoint together."""
        self._check_cancel()
        deletes = self._deletions()
        result = None
        if not self.verify and (self.upserts or deletes):
            result = self.client.send_batch(
                self.obj.name,
                self.upserts,
                deletes,
                run=self.run.pk,
                school_year=self.run.school_year,
            )
        ro = self.ro
        if result is not None:
            ro.inserted += result.inserted
            ro.updated += result.updated
            ro.unchanged += result.unchanged
            ro.deleted += result.deleted
            ro.errors += len(result.rejected)
            self._log_rejections(result.rejected)
        elif self.verify:
            ro.deleted += len(deletes)
            for record_id in deletes:
                self._differ(record_id, DifferenceKind.EXTRA)
        ro.checkpoint = self.position
        ro.seconds = time.monotonic() - self.clock
        with transaction.atomic():
            ErrorLogEntry.objects.bulk_create(self.errors)
            Difference.objects.bulk_create(self.differences)
            ro.save(update_fields=["checkpoint", "seconds", "total", *COUNTERS])
            self.run.beat()
        self.upserts, self.extras, self.errors, self.differences = [], [], [], []
        self.last_save = time.monotonic()
        if self.on_progress:
            self.on_progress(ro)

    def _deletions(self) -> list[int]:
        """Extras the district no longer has at all (out-of-scope records stay at the state)."""
        if not self.extras:
            return []
        still_here = source.existing_ids(self.obj.name, self.extras)
        return [i for i in self.extras if i not in still_here]

    def _log_rejections(self, rejected: list[wire.Rejected]) -> None:
        schools = source.schools_of(self.obj.name, [r.id for r in rejected])
        for rejection in rejected:
            for error in rejection.errors:
                self.errors.append(
                    self._entry(
                        rejection.id,
                        error.code,
                        error.field,
                        error.message,
                        "state",
                        schools.get(rejection.id),
                    )
                )

    def _entry(self, record_id, code, field, message, source_name, school_id=None):
        if school_id is None and source_name == "district":
            school_id = source.schools_of(self.obj.name, [record_id]).get(record_id)
        return ErrorLogEntry(
            run=self.run,
            source=source_name,
            object=self.obj.name,
            record_id=record_id,
            school_id=school_id,
            code=code,
            field=field,
            message=message,
        )

    def _differ(self, record_id: int, kind: DifferenceKind) -> None:
        self.differences.append(
            Difference(run=self.run, object=self.obj.name, record_id=record_id, kind=kind)
        )

    def _check_cancel(self) -> None:
        if self.lease is not None and self.lease.lost:
            raise LeaseLost
        if Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            raise Cancelled
