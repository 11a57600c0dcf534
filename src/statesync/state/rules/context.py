"""What rules may look up (the state's accepted copy of one district), and what they found."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from statesync.core import catalog
from statesync.core.wire import DecodeFailure, RecordError, RuleCode
from statesync.state.ingest import copies, locks
from statesync.state.ingest.copies import as_date
from statesync.state.models import District, Rejection
from statesync.state.people.matching import Person, claimed


@dataclass
class Verdicts:
    """Errors found so far, by record ID."""

    errors: dict[int, list[RecordError]] = field(default_factory=lambda: defaultdict(list))

    def add(self, record_id: int, code: RuleCode, field_name: str, message: str) -> None:
        self.errors[record_id].append(RecordError(code, field_name, message))

    def rejected(self, record_id: int) -> bool:
        return record_id in self.errors


# A primary enrollment in another district: (its district's ID, its number, the enrollment's
# ID, its start, its end or None).
Elsewhere = tuple[int, str, int, dt.date | None, dt.date | None]


@dataclass
class Batch:
    """One batch as its batch rules see it: the records, and what the state holds of them."""

    obj: catalog.DisObject
    records: list[Any]
    # Record ID → the copy held: (digest, version[, school year][, state-owned values…]).
    held: dict[int, tuple] = field(default_factory=dict)
    # Record ID → the school year it is of (objects kept by school year).
    years: dict[int, Any] = field(default_factory=dict)
    # The school years the state has closed (read when the batch has records of a year, or
    # deletes, which can take a year's records with them).
    closed: set[int] = field(default_factory=set)
    deletes: list[int] = field(default_factory=list)
    # Record ID → the district's clock when it deleted it, for records it deleted (tombstones).
    buried: dict[int, int] = field(default_factory=dict)
    # Record ID → the version of the copy the Record Deleter removed, for those it removed.
    removed: dict[int, int | None] = field(default_factory=dict)
    # Records the wire could not read: each is rejected with E-FORMAT.
    failures: Sequence[DecodeFailure] = ()
    # Deletes a rule refused (each with its verdict): the others go ahead.
    refused_deletes: set[int] = field(default_factory=set)
    # What a rule found that the state keeps beside its verdicts (a cross-district conflict):
    # written with the batch, in its transaction, once every rule has judged.
    to_record: list[Callable[[Context], None]] = field(default_factory=list)

    def allowed_deletes(self) -> list[int]:
        return [i for i in self.deletes if i not in self.refused_deletes]


class Lookups(Protocol):
    """The state's accepted copy of one district, read in bulk."""

    tenant_number: str

    def fetch(
        self, obj: catalog.DisObject, ids: Iterable[int | None], columns: Sequence[str]
    ) -> dict[int, tuple]:
        """Accepted records of `obj` among `ids`: record ID → values of `columns`."""
        ...

    def fetch_by(
        self, obj: catalog.DisObject, key: str, values: Iterable[Any], columns: Sequence[str]
    ) -> list[tuple]:
        """Accepted records of `obj` whose `key` is in `values`: rows (record ID, *columns)."""
        ...

    def rejections(self, obj: catalog.DisObject, ids: Iterable[int]) -> dict[int, list[dict]]:
        """Why the state rejected records of `obj` among `ids`, where it did."""
        ...

    def state_people(self, state_ids: Iterable[str]) -> dict[str, Person]:
        """The people the state issued those of `state_ids` it issued (to any district's
        person): state ID → their identity as matching compares it."""
        ...

    def enrollments_elsewhere(self, state_ids: list[str]) -> dict[str, list[Elsewhere]] | None:
        """State ID → its primary enrollments in other districts; None when the state has
        no other district (no one to overlap, no conflict to end)."""
        ...


# Every column looked up of each object, so far in this process: a batch reads another
# object's rows once, with all of them.
LOOKED_UP: dict[str, set[str]] = defaultdict(set)


@dataclass
class Context:
    """Lookups in the state's database: one query per lookup (PostgreSQL), or per piece of an
    `IN` list (SQLite).

    In a batch of `batch_object`, the rows of every other object are read once: its rules
    look up the same parents for different columns (E-PARENT, a calendar's dates, its school
    year, a person's state ID), and the batch writes none of them. Its own object's rows are
    read fresh each time.
    """

    tenant_id: int
    tenant_number: str
    using: str
    batch_object: str | None = None
    # Object → record ID → {column: value}, or None where the copy holds no such record.
    _read: dict[str, dict[int, dict[str, Any] | None]] = field(default_factory=dict, repr=False)
    # The identity resolver's: when the batch it judges arrived (enrollments elsewhere count
    # only if accepted by then, so "later" is the order batches came in).
    as_of: dt.datetime | None = None
    # State ID → the person the state issued it to, or None where it issued none.
    _people: dict[str, Person | None] = field(default_factory=dict, repr=False)

    def fetch(
        self, obj: catalog.DisObject, ids: Iterable[int | None], columns: Sequence[str]
    ) -> dict[int, tuple]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        if self.batch_object is None or obj.name == self.batch_object:
            return {row[0]: row[1:] for row in self._select(obj, "record_id", wanted, columns)}
        return self._read_once(obj, wanted, columns)

    def _read_once(
        self, obj: catalog.DisObject, wanted: list[int], columns: Sequence[str]
    ) -> dict[int, tuple]:
        asked = LOOKED_UP[obj.name]
        asked.update(columns)
        read = self._read.setdefault(obj.name, {})
        needed = set(columns)
        unread = [
            i
            for i in wanted
            if i not in read or ((row := read[i]) is not None and not row.keys() >= needed)
        ]
        if unread:
            names = sorted(asked)
            read.update(dict.fromkeys(unread))
            for record_id, *values in self._select(obj, "record_id", unread, names):
                read[record_id] = dict(zip(names, values, strict=True))
        return {i: tuple(row[c] for c in columns) for i in wanted if (row := read[i]) is not None}

    def fetch_by(
        self, obj: catalog.DisObject, key: str, values: Iterable[Any], columns: Sequence[str]
    ) -> list[tuple]:
        wanted = sorted({v for v in values if v is not None})
        return self._select(obj, key, wanted, columns) if wanted else []

    def _select(
        self, obj: catalog.DisObject, key: str, values: list, columns: Sequence[str]
    ) -> list[tuple]:
        return copies.select(self.using, obj, self.tenant_id, key, values, columns)

    def rejections(self, obj: catalog.DisObject, ids: Iterable[int]) -> dict[int, list[dict]]:
        found = Rejection.objects.using(self.using).filter(
            district_id=self.tenant_id, object=obj.name, record_id__in=sorted(set(ids))
        )
        return dict(found.values_list("record_id", "errors"))

    def state_people(self, state_ids: Iterable[str]) -> dict[str, Person]:
        # Kept for the batch: its rules ask, then its state IDs are given from the same answer.
        wanted = set(state_ids)
        unread = wanted - self._people.keys()
        if unread:
            found = claimed(self.using, unread)
            self._people.update({s: found.get(s) for s in unread})
        return {s: person for s in wanted if (person := self._people[s]) is not None}

    def enrollments_elsewhere(self, state_ids: list[str]) -> dict[str, list[Elsewhere]] | None:
        numbers = dict(District.objects.using(self.using).values_list("pk", "number"))
        if numbers.keys() <= {self.tenant_id}:
            return None
        found: dict[str, list[Elsewhere]] = defaultdict(list)
        if not state_ids:
            return found
        # Another district sending the same students now waits for this batch to commit.
        locks.hold_enrollments_across_districts(self.using)
        rows = copies.primary_enrollments_of(
            self.using, state_ids, PRIMARY, self.tenant_id, self.as_of
        )
        for state_id, tenant, record_id, start, end in rows:
            found[state_id].append(
                (tenant, numbers[tenant], record_id, as_date(start), as_date(end))
            )
        return found


# The service type of a student's primary enrollment (the one that counts them at a school).
PRIMARY = "P"
