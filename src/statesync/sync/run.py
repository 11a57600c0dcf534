"""Executing a run: each object in plan order, compared and sent in batches, with checkpoints.

After every batch the state has answered, the object's counts, its error-log entries and its
checkpoint (the highest ID reconciled) are saved in one transaction. A resumed run goes on
from the checkpoint; what it sends again the state finds unchanged, so nothing applies twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Full, Queue

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


@dataclass
class Pending:
    """A batch on its way: what was read into it, and the state's answer when it comes."""

    counts: Counter
    errors: list[ErrorLogEntry]
    differences: list[Difference]
    position: int
    deletes: list[int] = field(default_factory=list)
    answer: Future | None = None


class ObjectSync:
    """One object's part of a run.

    Reading and comparing go on in this thread while a sender thread waits for the state's
    answer to the previous batch, so district and state work at the same time. Answers are
    taken strictly in order; a batch's counts, error-log entries and checkpoint are saved only
    once its answer is in, so the checkpoint never runs ahead of what the state has.
    """

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
        self.counts: Counter = Counter()
        self.errors: list[ErrorLogEntry] = []
        self.differences: list[Difference] = []
        self.in_flight: deque[Pending] = deque()
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
        with ThreadPoolExecutor(1, thread_name_prefix="sender") as self.sender:
            try:
                state_side = prefetched(self.client.digest_pages(self.obj.name, year, after))
                changes = compare(
                    source.records(self.obj.name, self.run.school_year, after), state_side
                )
                for change in changes:
                    self.take(change)
                    self.position = change.id
                    if self._flush_due():
                        self.flush()
                self.flush()
                while self.in_flight:
                    self._complete(self.in_flight.popleft())
            finally:
                for pending in self.in_flight:  # after an error: do not wait for the rest
                    if pending.answer is not None:
                        pending.answer.cancel()
        ro.status = ObjectStatus.DONE
        ro.finished_at = timezone.now()
        ro.save(update_fields=["status", "finished_at"])

    def _flush_due(self) -> bool:
        full = max(len(self.upserts), len(self.extras)) >= self.batch_size
        return full or time.monotonic() - self.last_save >= PROGRESS_EVERY

    def take(self, change: Change) -> None:
        if change.kind is Kind.EXTRA:
            self.extras.append(change.id)
            return
        counts = self.counts
        counts["processed"] += 1
        if change.kind is Kind.UNREADABLE:
            bad = change.record
            counts["errors"] += 1
            self.errors.append(self._entry(bad.id, "E-FORMAT", bad.field, bad.message, "district"))
        elif change.kind is Kind.SAME and not self.force:
            counts["unchanged"] += 1
        elif self.verify:
            if change.kind is Kind.NEW:
                counts["inserted"] += 1
                self._differ(change.id, DifferenceKind.MISSING)
            else:
                counts["updated"] += 1
                self._differ(change.id, DifferenceKind.CHANGED)
        else:
            self.upserts.append(change.record)

    def flush(self) -> None:
        """Hand what is pending to the sender; take the answers that are in."""
        self._check_cancel()
        pending = Pending(self.counts, self.errors, self.differences, self.position)
        pending.deletes = self._deletions()
        if self.verify:
            pending.counts["deleted"] += len(pending.deletes)
            for record_id in pending.deletes:
                pending.differences.append(self._difference(record_id, DifferenceKind.EXTRA))
        elif self.upserts or pending.deletes:
            pending.answer = self.sender.submit(
                self.client.send_batch,
                self.obj.name,
                self.upserts,
                pending.deletes,
                run=self.run.pk,
                school_year=self.run.school_year,
            )
        self.in_flight.append(pending)
        self.upserts, self.extras, self.counts, self.errors, self.differences = (
            [],
            [],
            Counter(),
            [],
            [],
        )
        self.last_save = time.monotonic()
        while self.in_flight and (len(self.in_flight) > IN_FLIGHT or _ready(self.in_flight[0])):
            self._complete(self.in_flight.popleft())

    def _complete(self, pending: Pending) -> None:
        """Apply one batch's answer, then save counts, errors and the checkpoint together."""
        ro = self.ro
        if pending.answer is not None:
            answer: wire.BatchResult = pending.answer.result()  # StateError raises here
            pending.counts.update(
                inserted=answer.inserted,
                updated=answer.updated,
                unchanged=answer.unchanged,
                deleted=answer.deleted,
                errors=len(answer.rejected),
            )
            pending.errors += self._rejection_entries(answer.rejected)
        for name in COUNTERS:
            setattr(ro, name, getattr(ro, name) + pending.counts[name])
        ro.checkpoint = pending.position
        ro.seconds = time.monotonic() - self.clock
        with transaction.atomic():
            ErrorLogEntry.objects.bulk_create(pending.errors)
            Difference.objects.bulk_create(pending.differences)
            ro.save(update_fields=["checkpoint", "seconds", "total", *COUNTERS])
            self.run.beat()
        if self.on_progress:
            self.on_progress(ro)

    def _deletions(self) -> list[int]:
        """Extras the district no longer has at all (out-of-scope records stay at the state)."""
        if not self.extras:
            return []
        still_here = source.existing_ids(self.obj.name, self.extras)
        return [i for i in self.extras if i not in still_here]

    def _rejection_entries(self, rejected: list[wire.Rejected]) -> list[ErrorLogEntry]:
        schools = source.schools_of(self.obj.name, [r.id for r in rejected])
        return [
            self._entry(r.id, e.code, e.field, e.message, "state", schools.get(r.id))
            for r in rejected
            for e in r.errors
        ]

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

    def _difference(self, record_id: int, kind: DifferenceKind) -> Difference:
        return Difference(run=self.run, object=self.obj.name, record_id=record_id, kind=kind)

    def _differ(self, record_id: int, kind: DifferenceKind) -> None:
        self.differences.append(self._difference(record_id, kind))

    def _check_cancel(self) -> None:
        if self.lease is not None and self.lease.lost:
            raise LeaseLost
        if Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            raise Cancelled


IN_FLIGHT = 2  # batches sent and not yet answered: enough to keep both sides busy


def _ready(pending: Pending) -> bool:
    return pending.answer is None or pending.answer.done()


def prefetched(pages: Iterator[list], depth: int = 2) -> Iterator:
    """Items of `pages`, fetched `depth` pages ahead on a thread of their own."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        queue.put(page, timeout=0.5)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, who raises it
            queue.put(exc)

    threading.Thread(target=produce, name="digest-prefetch", daemon=True).start()
    try:
        while (page := queue.get()) is not done:
            if isinstance(page, BaseException):
                raise page
            yield from page
    finally:
        stop.set()
