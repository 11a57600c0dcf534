"""Group commit: the Ed-Fi POSTs that arrive together for one district, stored in one transaction.

An Ed-Fi client sends one record a request, several at once (lightbeam: 8 connections). A
district's batches are judged one at a time (its lock), so one transaction a record capped a
district near 130-180 records/s whatever the cores did (docs/PERFORMANCE.md). Here the first
request to find no transaction running for its district leads: it takes every request waiting
for that district into one `apply_batch` per object and one commit, answers each, and goes
again while more wait; the others only wait for their answer.

Only a request whose document carries at most one record is grouped: the rules judge each
record alone, so one refused record leaves the others of the group untouched. A document that
carries several (a calendar and its months: intake.CARRY_SEVERAL) is stored on its own, all or
nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from statesync.core import catalog, wire
from statesync.state.edfi import problems
from statesync.state.edfi import resources as r
from statesync.state.edfi.mapping import Mapped, Mapper, NotMappable, Unresolved
from statesync.state.edfi.store import Documents, natural_key
from statesync.state.ingest.apply import apply_batch
from statesync.state.models import District, EdfiDocument
from statesync.state.models.messages import Origin

MOST = 200  # requests one transaction takes at most
PERSON_TOO = "studentEducationOrganizationAssociations"  # carries its student's person


@dataclass
class Job:
    """One request's document, checked; the leader gives it its row and maps it."""

    docs: Documents
    mapper: Mapper
    resource: r.Resource
    body: dict[str, Any]
    typed: r.Part
    key: list[Any]
    doc: EdfiDocument = field(init=False)
    mapped: list[Mapped] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    status: int = 0
    error: BaseException | None = None

    def keys(self) -> set[tuple[str, str]]:
        """What two jobs of one transaction may not share: the document, and the person a
        student and its district association both carry."""
        keys = {(self.resource.name, natural_key(self.key))}
        student = self.body.get("studentReference", {}).get("studentUniqueId")
        if self.resource.name == PERSON_TOO and student is not None:
            keys.add(("students", natural_key([student])))
        return keys


@dataclass
class GroupCommit:
    """Each district's waiting jobs, and which districts have a leader at work."""

    store: Callable[[District, list[Job]], None]
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: dict[int, list[Job]] = field(default_factory=dict)
    leading: set[int] = field(default_factory=set)

    def run(self, district: District, job: Job) -> int:
        """Store `job` with whatever else waits for its district; its status, or its error."""
        with self.lock:
            self.waiting.setdefault(district.pk, []).append(job)
            lead = district.pk not in self.leading
            if lead:
                self.leading.add(district.pk)
        if lead:
            self._lead(district)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.status

    def _lead(self, district: District) -> None:
        while True:
            with self.lock:
                group = self._take(district.pk)
                if not group:
                    self.leading.discard(district.pk)
                    return
            try:
                self.store(district, group)
            except Exception as exc:  # the group's requests hear why; the leader goes on
                for job in group:
                    job.error = job.error or exc
            except BaseException as exc:  # the thread itself is stopping: nobody leads now
                with self.lock:
                    group += self.waiting.pop(district.pk, [])
                    self.leading.discard(district.pk)
                for job in group:
                    job.error = job.error or exc
                    job.done.set()
                raise
            for job in group:
                job.done.set()

    def _take(self, district_id: int) -> list[Job]:
        """The next group: waiting jobs in arrival order, none sharing a document or record."""
        queue = self.waiting.get(district_id, [])
        group: list[Job] = []
        taken: set[tuple[str, str]] = set()
        left: list[Job] = []
        for job in queue:
            keys = job.keys()
            if len(group) < MOST and not keys & taken:
                group.append(job)
                taken |= keys
            else:
                left.append(job)
        self.waiting[district_id] = left
        return group


def store_group(district: District, jobs: list[Job]) -> None:
    """Give each job its document row and map it, judge and store the group's records (one
    batch an object), then the accepted documents, in one transaction: on SQLite no request
    writes beside the leader (a writer waiting for the lock sleeps). A refused job gets its
    problem, the others their status."""
    using = jobs[0].docs.using
    with transaction.atomic(using=using):
        slots = jobs[0].docs.slots([(job.resource.name, job.key) for job in jobs])
        for job, doc in zip(jobs, slots, strict=True):
            job.doc = doc
            try:
                job.mapped = job.mapper.records(job.resource, job.doc.pk, job.typed)
            except (NotMappable, Unresolved) as exc:
                job.error = exc.problem()
        jobs = [job for job in jobs if job.error is None]
        job_of = {id(m): job for job in jobs for m in job.mapped}
        for item, rejected in judge_and_store(district, [m for j in jobs for m in j.mapped]):
            job_of[id(item)].error = problems.rejected(item.resource, item.object, rejected.errors)
        changed = []
        for job in jobs:
            if job.error is not None:
                continue
            if job.doc.body == job.body:
                job.status = 200
                continue
            job.status = 201 if job.doc.body is None else 200
            changed.append((job.doc, job.body))
        if changed:  # every job's district and database are the group's
            jobs[0].docs.save_all(changed)


def judge_and_store(district: District, mapped: list[Mapped]) -> list[tuple[Mapped, wire.Rejected]]:
    """Judge and store records, parents before children, one batch an object; the refused
    ones, each with why."""
    owner = {(m.object, m.record.id): m for m in mapped}
    refused: list[tuple[Mapped, wire.Rejected]] = []
    for name in catalog.order():
        records = [m.record for m in mapped if m.object == name]
        if records:
            result = apply_batch(
                district, catalog.get(name), wire.Batch(), records, origin=Origin.EDFI
            )
            refused += [(owner[(name, x.id)], x) for x in result.rejected]
    return refused


GROUPS = GroupCommit(store_group)
