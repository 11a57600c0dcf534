"""Finding the person a district's record is among everyone the state knows (docs/STATE_OWNED.md).

An exact match (normalised last and first name, birth date, gender) is that person; a likely
match (same birth date, names alike) is held for a state data manager; no match is a new
person. It runs per batch: one query for every candidate sharing a birth date with the batch.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connections
from rapidfuzz import fuzz

from statesync.core.db import sqlin
from statesync.state.models.people import number_of, state_id_for

# Names at least this alike (rapidfuzz's ratio, 0-100) on the same birth date are likely the
# same person: one letter off in a short name ("Jon"/"John") still is, "Ann"/"Anna" too.
LIKELY_NAME_SCORE = 80.0


_NOT_A_LETTER = re.compile("[^a-z]+")


def normalise(name: str | None) -> str:
    """A name as matching compares it: no accents, case, spaces or punctuation."""
    if name and name.isascii():  # most names: nothing to decompose
        return _NOT_A_LETTER.sub("", name.lower())
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(c for c in decomposed.casefold() if c.isalpha())


class Person(NamedTuple):
    """What matching knows of a person: the key it compares, and the state person if any.
    A tuple: matching makes and compares hundreds of thousands of them on a first resync."""

    last_key: str
    first_key: str
    birth_date: str  # ISO
    gender: str
    pk: int | None = None  # the state person, once there is one

    @property
    def state_id(self) -> str:
        return state_id_for(self.pk) if self.pk is not None else ""

    @classmethod
    def of_record(cls, record: Any) -> Person:
        return cls(
            normalise(record.last_name),
            normalise(record.first_name),
            record.birth_date.isoformat(),
            record.gender or "",
        )

    @property
    def exact_key(self) -> tuple:
        return self[:4]

    @property
    def blocks(self) -> tuple[str, str]:
        """Where the state looks for this person: their birth date with the initial of their
        last name, and with that of their first (blocking, as record linkage calls it)."""
        return block(self.birth_date, self.last_key), block(self.birth_date, self.first_key)


def block(birth_date: str, name_key: str) -> str:
    return f"{birth_date}{name_key[:1]}"


@dataclass
class Candidate:
    person: Person
    score: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "person": self.person.pk,
            "state_id": self.person.state_id,
            "score": round(self.score, 1),
            "reasons": self.reasons,
        }


@dataclass
class Verdict:
    """Matching's answer for one record: the person it is, or candidates, or neither."""

    exact: Person | None = None
    likely: list[Candidate] = field(default_factory=list)


# People a resolver keeps in memory at most (about 80 MB): a few districts' first resyncs.
KNOWN_LIMIT = 200_000


class Known:
    """Everyone the state knows in the blocks asked for so far, kept between batches by the
    identity resolver: consecutive batches of a district ask for many of the same blocks (the
    seed's students share few birth dates), and each was read again for every batch.

    Valid while nobody but its holder issues a state ID: `through` is the highest number it
    has seen, and `keep(issued_through)` forgets everything when the state's differs (Person
    Matching gave a new state ID, another resolver issued). Its holder `learn`s the people it
    issued once they are committed. It holds at most `limit` people, forgetting all of them
    when a read would pass it: a state's every student would otherwise stay in the
    resolver's memory (about 400 bytes each)."""

    def __init__(self, limit: int = KNOWN_LIMIT) -> None:
        self.limit = limit
        self.rows: dict[int, tuple] = {}  # person ID → row, in Person's field order
        self.in_block: dict[str, set[int]] = defaultdict(set)
        self.read: set[str] = set()  # blocks read (empty ones too)
        self.through: int | None = None

    def keep(self, issued_through: int) -> None:
        """Forget everything if someone else issued since this last saw the state's people."""
        if self.through != issued_through:
            self._forget()
            self.through = issued_through

    def people_in(self, using: str, blocks: list[str]) -> list[tuple]:
        """The state's people in `blocks` (a row each), reading only blocks not read before:
        one query per piece of the block list, over both block columns."""
        if len(self.rows) >= self.limit:
            self._forget()
        unread = [b for b in blocks if b not in self.read]
        connection = connections[using]
        # Dates as text: no date parsed per row.
        sql = (
            "SELECT last_key, first_key, CAST(birth_date AS TEXT), gender, id "
            "FROM state_person WHERE "
        )
        with connection.cursor() as cursor:
            for condition, params in sqlin.matching(connection, "block_last", unread):
                other = condition.replace("block_last", "block_first", 1)
                cursor.execute(f"{sql}{condition} OR {other}", params * 2)
                for row in cursor.fetchall():
                    self._add(row)
        self.read.update(unread)
        ids = set().union(*(self.in_block.get(b, ()) for b in blocks))
        return [self.rows[i] for i in ids]

    def learn(self, people: Iterable[Person], through: int) -> None:
        """People this holder issued, now committed, and the highest number it gave."""
        for person in people:
            self._add(tuple(person))
        self.through = max(self.through or 0, through)

    def _forget(self) -> None:
        self.rows.clear()
        self.in_block.clear()
        self.read.clear()

    def _add(self, row: tuple) -> None:
        self.rows[row[4]] = row
        self.in_block[block(row[2], row[0])].add(row[4])
        self.in_block[block(row[2], row[1])].add(row[4])


class Matcher:
    """Everyone the state knows in the blocks of a batch's people (from `known`, which reads
    what it has not read yet); people issued while the batch is matched join them, so a
    batch's own twins match. Names at least LIKELY_NAME_SCORE alike almost always share an
    initial, and looking everyone up by birth date alone read a tenth of the state's people
    for every batch."""

    def __init__(self, using: str, wanted: Iterable[Person], known: Known | None = None):
        # Rows as the database gives them, in Person's field order: a Person is made only for
        # a match (most rows of a first resync's batch match nobody).
        self.by_date: dict[str, list[tuple]] = defaultdict(list)
        blocks = sorted({b for person in wanted for b in person.blocks})
        for row in (known or Known()).people_in(using, blocks):
            self.by_date[row[2]].append(row)

    def add(self, person: Person) -> None:
        self.by_date[person.birth_date].append(person)

    def match(self, wanted: Person) -> Verdict:
        known_here = self.by_date.get(wanted.birth_date)
        if not known_here:
            return Verdict()
        likely = []
        key = wanted[:4]  # exact_key, without a call per comparison
        for known in known_here:
            if known[:4] == key:
                return Verdict(exact=Person(*known))
            candidate = _likely(wanted, known)
            if candidate is not None:
                likely.append(candidate)
        likely.sort(key=lambda c: -c.score)
        return Verdict(likely=likely)


def claimed(using: str, state_ids: Iterable[str]) -> dict[str, Person]:
    """The people the state issued `state_ids` to, as matching knows them: state ID → Person."""
    numbers = sorted({n for s in state_ids if (n := number_of(s)) is not None})
    if not numbers:
        return {}
    sql = "SELECT last_key, first_key, CAST(birth_date AS TEXT), gender, id FROM state_person "
    connection = connections[using]
    found: dict[str, Person] = {}
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "id", numbers):
            cursor.execute(f"{sql}WHERE {condition}", params)
            found.update((state_id_for(row[4]), Person(*row)) for row in cursor.fetchall())
    return found


def could_be(wanted: Person, known: Person) -> Candidate | None:
    """`known` as a candidate for `wanted` (score 100 when they are the same), or None when
    they are plainly other people."""
    if wanted.exact_key == known.exact_key:
        return Candidate(known, 100.0, ["same name, birth date and gender"])
    if wanted.birth_date != known.birth_date:
        return None
    return _likely(wanted, known)


def _likely(wanted: Person, known: tuple) -> Candidate | None:
    # Two C calls, then comparisons: most people who share a birth date are nothing alike.
    last = fuzz.ratio(wanted[0], known[0])
    first = fuzz.ratio(wanted[1], known[1])
    swapped = wanted[0] == known[1] and wanted[1] == known[0]
    if not swapped and min(last, first) < LIKELY_NAME_SCORE:
        return None
    reasons = ["same birth date"]
    if swapped:
        reasons.append("first and last names swapped")
    else:
        reasons.append(f"last names {last:.0f}% alike" if last < 100 else "same last name")
        reasons.append(f"first names {first:.0f}% alike" if first < 100 else "same first name")
    reasons.append("same gender" if wanted.gender == known[3] else "different gender")
    score = 100.0 if swapped else (last + first) / 2
    if wanted.gender != known[3]:
        score -= 10
    return Candidate(Person(*known), score, reasons)
