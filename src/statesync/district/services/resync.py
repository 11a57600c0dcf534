"""Executing a run: each object in plan order through the engine, with checkpoints.

After every batch the state has answered, the object's counts, its error-log entries and its
checkpoint (the highest ID reconciled) are saved in one transaction. A resumed run goes on
from the checkpoint.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from statesync.core import catalog
from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError
from statesync.core.sync.pipeline import BATCH_SIZE, BatchOutcome, ObjectSync
from statesync.district.models import (
    COUNTERS,
    DIFFERENCE_OF,
    Difference,
    DifferenceKind,
    ErrorLogEntry,
    Mode,
    ObjectStatus,
    Run,
    RunObject,
    RunStatus,
)
from statesync.district.services import messages, statechanges, years
from statesync.district.services.dis import state_client, with_the_state
from statesync.district.worker import outages

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1.0  # seconds between progress saves when nothing else forces one

Progress = Callable[[RunObject], None]


class Cancelled(Exception):
    pass


class LeaseLost(Exception):
    """Another worker took the run over (this one looked dead): stop without ending it."""


class Lease(Protocol):
    lost: bool


def execute(
    run: Run,
    client: StateClient | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress | None = None,
    lease: Lease | None = None,
) -> Run:
    """Run (or resume) `run` to its end; never raises for what the state or data did.

    `lease` (workers.Lease) is checked at every batch: if it was lost, stop quietly.
    """
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return run
    run.start()
    own_client = client is None
    try:
        client = client or state_client()
        # The state's values first, so no state-owned value goes up stale and verify compares
        # like with like; and after, for the state IDs this run was given.
        statechanges.take_state_changes_now(client)
        outages.through(
            run, lambda: _execute_objects(run, client, batch_size, on_progress, lease), lease
        )
        run.finish()
        if run.awaiting_identity:
            settle = functools.partial(statechanges.settle_identity, run=run)
            with_the_state(settle, "settle the run's identity", client)
        else:
            statechanges.take_state_changes_now(client)
        # After identity: an enrollment it rejected counts in the year's report too.
        years.report_years_now(client)
    except LeaseLost:
        log.warning("run %s was taken over by another worker", run.pk)
    except Cancelled:
        run.cancel("Cancelled while running; everything sent before that is at the state.")
    except outages.CannotGoOn as exc:
        outages.end_visibly(run, str(exc))
    except StateError as exc:
        run.fail(str(exc))
    except Exception as exc:  # the run must end visibly, whatever broke
        log.exception("run %s crashed", run.pk)
        outages.end_visibly(run, outages.why_it_stopped(exc))
    finally:
        if own_client and client is not None:
            client.close()
    return run


def _execute_objects(
    run: Run,
    client: StateClient,
    batch_size: int,
    on_progress: Progress | None,
    lease: Lease | None,
) -> None:
    """Every object not done yet, each from its checkpoint as the database holds it."""
    for run_object in run.run_objects.order_by("position"):
        if run_object.status != ObjectStatus.DONE:
            _execute_object(run, run_object, client, batch_size, on_progress, lease)


def _execute_object(
    run: Run,
    ro: RunObject,
    client: StateClient,
    batch_size: int,
    on_progress: Progress | None,
    lease: Lease | None,
) -> None:
    obj = catalog.get(ro.object)
    if ro.checkpoint is None:
        ro.total = source.count(obj.name, run.school_year)
    ro.status = ObjectStatus.RUNNING
    ro.save(update_fields=["status", "total"])
    journal = RunJournal(run, ro, on_progress, lease)
    ObjectSync(
        obj,
        client,
        journal,
        mode=run.mode,
        school_year=run.school_year,
        run_id=run.pk,
        after=ro.checkpoint or 0,
        batch_size=batch_size,
        flush_every=PROGRESS_EVERY,
    ).execute()
    ro.status = ObjectStatus.DONE
    ro.finished_at = timezone.now()
    ro.save(update_fields=["status", "finished_at"])


class RunJournal:
    """Saves one object's batches into its RunObject, the error log and verify's differences."""

    def __init__(self, run: Run, ro: RunObject, on_progress: Progress | None, lease: Lease | None):
        self.run, self.ro, self.on_progress, self.lease = run, ro, on_progress, lease
        self.started = time.monotonic() - ro.seconds  # a resumed object keeps its time

    def check(self) -> None:
        if self.lease is not None and self.lease.lost:
            raise LeaseLost
        if Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            raise Cancelled

    def record(self, outcome: BatchOutcome) -> None:
        ro = self.ro
        for name in (*COUNTERS, "at_state", "awaiting_identity"):
            setattr(ro, name, getattr(ro, name) + outcome.counts[name])
        ro.checkpoint = outcome.checkpoint
        ro.seconds = time.monotonic() - self.started
        entries = [ErrorLogEntry.from_problem(ro.object, p, self.run) for p in outcome.problems]
        judging = self.run.mode != Mode.VERIFY  # verify sends nothing: the state judged nothing
        for entry in entries:
            entry.current = judging
        differences = [
            Difference(
                run=self.run,
                object=ro.object,
                record_id=i,
                kind=DIFFERENCE_OF[kind],
                fields=outcome.changed_fields.get(i, []),
            )
            for i, kind in outcome.differences
        ]
        if not judging:
            self._explain(differences)
        with transaction.atomic():
            if judging:
                ErrorLogEntry.supersede(ro.object, outcome.judged)
            ErrorLogEntry.objects.bulk_create(entries)
            Difference.objects.bulk_create(differences)
            if outcome.answer is not None and settings.RECORD_RUN_MESSAGES:
                messages.record(self._sending(outcome), outcome.answer.result())
            ro.save(
                update_fields=[
                    "checkpoint",
                    "seconds",
                    "total",
                    "rejected_known",
                    "at_state",
                    "awaiting_identity",
                    *COUNTERS,
                ]
            )
            self.run.beat()
        if self.on_progress:
            self.on_progress(ro)

    def unsent(self, outcome: BatchOutcome, error: str) -> None:
        if settings.RECORD_RUN_MESSAGES:
            messages.record(self._sending(outcome), None, error)

    def _sending(self, outcome: BatchOutcome) -> messages.Sending:
        return messages.Sending(
            messages.Origin.RUN,
            self.run.pk,
            self.ro.object,
            outcome.sent,
            outcome.deletes,
            added=outcome.added,
            queued_at=outcome.queued_at,
            trace=outcome.trace or messages.Trace(),
        )

    def _explain(self, differences: list[Difference]) -> None:
        """Verify: a record missing or different at the state because the state rejected it
        (its current Error Log entry says so) is not drift; count it apart."""
        ro = self.ro
        unexplained = [d for d in differences if d.kind != DifferenceKind.EXTRA]
        known = set(
            ErrorLogEntry.objects.filter(
                object=ro.object, current=True, record_id__in=[d.record_id for d in unexplained]
            ).values_list("record_id", flat=True)
        )
        for difference in unexplained:
            if difference.record_id in known:
                counter = "inserted" if difference.kind == DifferenceKind.MISSING else "updated"
                setattr(ro, counter, getattr(ro, counter) - 1)
                ro.rejected_known += 1
                difference.kind = DifferenceKind.REJECTED
