"""One object's resync: read, compare with the state's digests, send in batches, pipelined.

The engine knows no district model. What a batch found goes to a `Journal` once the state has
answered it; the journal saves it (counts, problems, differences and the checkpoint, together)
and says whether to go on. So the checkpoint never runs ahead of what the state has, and a
resumed object starts after it: what it sends again the state finds unchanged.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import Protocol

from statesync.core import catalog, wire
from statesync.core.modes import Mode
from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError, Trace
from statesync.core.sync.diff import Change, Kind, compare
from statesync.core.sync.prefetch import prefetched
from statesync.core.sync.source import Outgoing, Unreadable

BATCH_SIZE = 2000
IN_FLIGHT = 2  # batches sent and not yet answered: enough to keep both sides busy
CLOCK_EVERY = 256  # records between looks at the clock (progress is saved every second)

# Where a problem was found: the district could not read its own row, or the state said no.
DISTRICT = "district"
STATE = "state"


@dataclass(slots=True)
class Problem:
    """Why one record did not reach the state's accepted copy."""

    record_id: int
    code: str
    field: str
    message: str
    origin: str
    school_id: int | None = None


@dataclass
class BatchOutcome:
    """What one batch did, ready to save: counts, problems, verify's differences, checkpoint."""

    counts: Counter[str]
    problems: list[Problem]
    differences: list[tuple[int, Kind]]
    checkpoint: int
    deletes: list[int] = field(default_factory=list)
    answer: Future[wire.BatchResult] | None = None
    # The district's records this batch compared or sent: each has a new judgement now.
    judged: list[int] = field(default_factory=list)
    # Verify: the columns that differ, for each record different at the state.
    changed_fields: dict[int, list[str]] = field(default_factory=dict)
    # What went to the state, for the Message History: the upserts' IDs, those the state
    # did not hold (adds), when the batch was handed to the sender, and the send's trace.
    sent: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)
    queued_at: float = 0.0
    trace: Trace | None = None


class Journal(Protocol):
    """Where an object's progress goes between batches."""

    def check(self) -> None:
        """Raise to stop before the next batch (a cancel, a lost lease)."""

    def record(self, outcome: BatchOutcome) -> None:
        """Save an answered batch, its counts, problems, differences and checkpoint at once."""

    def unsent(self, outcome: BatchOutcome, error: str) -> None:
        """Note a batch the state did not take (the error is raised on after)."""


def problems_from(name: str, rejected: list[wire.Rejected]) -> list[Problem]:
    """The state's rejections as problems, each filed under its school."""
    schools = source.schools_of(name, [r.id for r in rejected])
    return [
        Problem(r.id, e.code, e.field, e.message, STATE, schools.get(r.id))
        for r in rejected
        for e in r.errors
    ]


def unreadable_problem(name: str, bad: Unreadable) -> Problem:
    school = source.schools_of(name, [bad.id]).get(bad.id)
    return Problem(bad.id, wire.RuleCode.FORMAT, bad.field, bad.message, DISTRICT, school)


class ObjectSync:
    """One object of a run, from `after` to its end.

    Reading and comparing go on in this thread while a sender thread waits for the state's
    answer to the previous batch, so district and state work at the same time. Answers are
    taken strictly in order.
    """

    def __init__(
        self,
        obj: catalog.DisObject,
        client: StateClient,
        journal: Journal,
        *,
        mode: str,
        school_year: int,
        run_id: int | None,
        after: int = 0,
        batch_size: int = BATCH_SIZE,
        flush_every: float = 1.0,
    ):
        self.obj = obj
        self.client = client
        self.journal = journal
        self.school_year = school_year
        self.run_id = run_id
        self.batch_size = batch_size
        self.flush_every = flush_every
        self.verify = mode == Mode.VERIFY
        self.force = mode == Mode.FORCE
        self.after = after
        self.position = after
        self.upserts: list[Outgoing] = []
        self.added: list[int] = []
        self.extras: list[int] = []
        self._fresh()
        self.in_flight: deque[BatchOutcome] = deque()

    def _fresh(self) -> None:
        self.counts: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.differences: list[tuple[int, Kind]] = []
        self.judged: list[int] = []
        self.changed: list[Outgoing] = []  # verify: records different at the state

    def execute(self, clock: Callable[[], float] = time.monotonic) -> None:
        year = self.school_year if self.obj.year_scoped else None
        self.clock = clock
        self.last_flush = clock()
        with ThreadPoolExecutor(1, thread_name_prefix="sender") as self.sender:
            try:
                digests = self.client.digest_pages(self.obj.name, year, self.after)
                state_side = chain.from_iterable(prefetched(digests))
                district_side = source.records(self.obj.name, self.school_year, self.after)
                # Per record as little as can be: a differential compares hundreds of thousands
                # and sends none, so a record found the same is only noted (counted at the
                # flush), and the clock is read every CLOCK_EVERY records, not each one.
                skip_same = not self.force
                judged = self.judged
                for n, change in enumerate(compare(district_side, state_side), start=1):
                    if skip_same and change.kind is Kind.SAME:
                        judged.append(change.id)
                        # Nothing to send grew: only the clock can make a flush due.
                        due = n % CLOCK_EVERY == 0 and self._flush_due(n)
                    else:
                        self.take(change)
                        due = self._flush_due(n)
                    self.position = change.id
                    if due:
                        self.flush()
                        judged = self.judged
                self.flush()
                while self.in_flight:
                    self._complete(self.in_flight.popleft())
            finally:
                for pending in self.in_flight:  # after an error: do not wait for the rest
                    if pending.answer is not None:
                        pending.answer.cancel()

    def _flush_due(self, n: int) -> bool:
        if len(self.upserts) >= self.batch_size or len(self.extras) >= self.batch_size:
            return True
        return n % CLOCK_EVERY == 0 and self.clock() - self.last_flush >= self.flush_every

    def take(self, change: Change) -> None:
        """Note one change for the next flush. execute notes a SAME one itself outside force
        (its ID in `judged`, counted by _count_same): it is most of a differential."""
        if change.kind is Kind.EXTRA:
            self.extras.append(change.id)
            return
        self.counts["processed"] += 1
        self.judged.append(change.id)
        if change.held:
            self.counts["at_state"] += 1
        if isinstance(change.record, Unreadable):
            self.counts["errors"] += 1
            self.problems.append(unreadable_problem(self.obj.name, change.record))
        elif self.verify:
            self.counts["inserted" if change.kind is Kind.NEW else "updated"] += 1
            self.differences.append((change.id, change.kind))
            if change.kind is Kind.CHANGED and change.record is not None:
                self.changed.append(change.record)
        elif change.record is not None:
            self.upserts.append(change.record)
            if not change.held:
                self.added.append(change.id)

    def flush(self) -> None:
        """Hand what is pending to the sender; take the answers that are in."""
        self.journal.check()
        self._count_same()
        pending = BatchOutcome(self.counts, self.problems, self.differences, self.position)
        pending.judged = self.judged
        if self.changed:
            pending.changed_fields = self._fields_that_differ(self.changed)
        pending.deletes, as_of = self._deletions()
        if self.verify:
            pending.counts["deleted"] += len(pending.deletes)
            pending.counts["at_state"] += len(pending.deletes)
            pending.differences += [(i, Kind.EXTRA) for i in pending.deletes]
        elif self.upserts or pending.deletes:
            pending.sent, pending.added = [r.id for r in self.upserts], self.added
            pending.queued_at, pending.trace = time.time(), Trace()
            pending.answer = self.sender.submit(
                self.client.send_batch,
                self.obj.name,
                self.upserts,
                pending.deletes,
                run=self.run_id,
                school_year=self.school_year,
                deleted_as_of=as_of,
                trace=pending.trace,
            )
        self.in_flight.append(pending)
        self.upserts, self.added, self.extras = [], [], []
        self._fresh()
        self.last_flush = self.clock()
        while self.in_flight and (len(self.in_flight) > IN_FLIGHT or _ready(self.in_flight[0])):
            self._complete(self.in_flight.popleft())

    def _count_same(self) -> None:
        """Count the records execute noted as the same at the state: every judged record
        that take() did not count."""
        same = len(self.judged) - self.counts["processed"]
        if same:
            self.counts.update(processed=same, at_state=same, unchanged=same)

    def _complete(self, pending: BatchOutcome) -> None:
        if pending.answer is not None:
            try:
                answer = pending.answer.result()
            except StateError as exc:
                self.journal.unsent(pending, str(exc))
                raise
            pending.counts.update(
                inserted=answer.inserted,
                updated=answer.updated,
                # A stale copy changed nothing: the state holds a newer one.
                unchanged=answer.unchanged + answer.stale,
                deleted=answer.deleted,
                errors=len(answer.rejected),
                awaiting_identity=answer.awaiting_identity,
            )
            pending.problems += problems_from(self.obj.name, answer.rejected)
        self.journal.record(pending)

    def _fields_that_differ(self, records: list[Outgoing]) -> dict[int, list[str]]:
        """Verify: which columns of each record the state holds otherwise."""
        held = self.client.records(self.obj.name, [r.id for r in records])
        columns = self.obj.columns
        differ: dict[int, list[str]] = {}
        for record in records:
            state = held.get(record.id, {})
            differ[record.id] = [
                column
                for column, value in zip(columns[1:], record.values[1:], strict=True)
                if wire.plain(value) != state.get(column)
            ]
        return differ

    def _deletions(self) -> tuple[list[int], int | None]:
        """Extras the district no longer has at all (out-of-scope records stay at the state),
        and the clock they were gone at (read first: a record made after it is not missed)."""
        if not self.extras:
            return [], None
        as_of = source.clock()
        still_here = source.existing_ids(self.obj.name, self.extras)
        return [i for i in self.extras if i not in still_here], as_of


def _ready(pending: BatchOutcome) -> bool:
    return pending.answer is None or pending.answer.done()
