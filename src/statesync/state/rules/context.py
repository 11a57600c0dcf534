"""What rules may look up (the state's accepted copy of one district), and what they found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connections

from statesync.core import catalog
from statesync.core.db import sqlin
from statesync.core.wire import RecordError, RuleCode
from statesync.state.models import Rejection
from statesync.state.people.matching import Person, claimed


@dataclass
class Verdicts:
    """Errors found so far, by record ID."""

    errors: dict[int, list[RecordError]] = field(default_factory=lambda: defaultdict(list))

    def add(self, record_id: int, code: RuleCode, field_name: str, message: str) -> None:
        self.errors[record_id].append(RecordError(code, field_name, message))

    def rejected(self, record_id: int) -> bool:
        return record_id in self.errors


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
        cols = ", ".join(("record_id", *columns))
        sql = f"SELECT {cols} FROM {obj.state_table} WHERE tenant_id = %s AND "
        rows: list[tuple] = []
        connection = connections[self.using]
        with connection.cursor() as cursor:
            for condition, params in sqlin.matching(connection, key, values):
                cursor.execute(sql + condition, [self.tenant_id, *params])
                rows.extend(cursor.fetchall())
        return rows

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
