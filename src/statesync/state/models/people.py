"""The state's people: the state IDs it issued, and the likely matches it holds for a state
data manager (docs/STATE_OWNED.md). Which district record carries which state ID is the state's
copy of the record itself (its state ID column), so it is said once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, models, transaction
from django.utils import timezone
from stdnum import luhn

from statesync.core.db import bulk
from statesync.state.ingest import locks
from statesync.state.models.registry import District

# State IDs are nine digits from the sequence, then a check digit: 10 digits in all.
FIRST_NUMBER = 100_000_000


# Luhn's doubled digits (2d, less 9 above 9), by digit.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def state_id_for(number: int) -> str:
    """The state ID of the sequence's `number`: its nine digits and their Luhn check digit.

    Luhn computed here rather than by stdnum (which checks them, check_digit_holds): a first
    resync issues one per person, and stdnum's general alphabet cost a tenth of matching.
    """
    digits = str(FIRST_NUMBER + number)
    # The digit appended lands rightmost, so the payload's rightmost digit is doubled.
    doubled = sum(_DOUBLED[ord(c) - 48] for c in digits[::-2])
    kept = sum(ord(c) - 48 for c in digits[-2::-2])
    return digits + str(-(doubled + kept) % 10)


def check_digit_holds(state_id: str) -> bool:
    """Whether a 10-digit state ID's last digit is its check digit (a mistyped ID fails)."""
    return luhn.is_valid(state_id)


def number_of(state_id: str) -> int | None:
    """The sequence number a well-formed state ID stands for, or None."""
    if len(state_id) != 10 or not state_id.isdigit() or not check_digit_holds(state_id):
        return None
    return int(state_id[:9]) - FIRST_NUMBER


PERSON_COLUMNS = (  # created_at last
    *("id", "last_key", "first_key", "block_last", "block_first", "last_name", "first_name"),
    *("birth_date", "gender", "created_at"),
)


def reserve_numbers(using: str, count: int) -> list[int]:
    """`count` consecutive numbers from the state ID sequence that nobody was given.

    Reserving holds the issuing lock, so the sequence moves on by the whole range at once:
    a nextval per number cost 7 to 9 ms a batch of 2,000 people, inside that lock."""
    if count <= 0:
        return []
    connection = connections[using]
    # In the caller's transaction, so the lock is held until the numbers are issued.
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        locks.hold_issuing(using)
        if connection.vendor == "postgresql":
            # nextval first, so the range starts above every number handed out; no other
            # reserver moves the sequence before setval, as each holds the issuing lock.
            cursor.execute(
                "SELECT setval(s.seq, nextval(s.seq) + %s - 1) FROM "
                "(SELECT pg_get_serial_sequence('state_person', 'id')::regclass AS seq) AS s",
                [count],
            )
            last = cursor.fetchone()[0]
            return list(range(last - count + 1, last + 1))
        # SQLite has one writer at a time (this runs in the batch's write transaction) and
        # AUTOINCREMENT's high-water mark never goes back, so numbers above it are free.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'state_person'")
        row = cursor.fetchone()
        top = row[0] if row else 0
        return list(range(top + 1, top + count + 1))


def next_number(using: str) -> int:
    """The first number reserve_numbers would give now: a guess, made without the issuing
    lock, that whoever reserves next checks (someone else may reserve first)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence('state_person', 'id')")
            sequence = cursor.fetchone()[0]  # a name from the catalog, not from anyone's input
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last, called = cursor.fetchone()
            return last + 1 if called else last
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'state_person'")
        row = cursor.fetchone()
        return (row[0] if row else 0) + 1


class StatePerson(models.Model):
    """One person as the state knows them, with the state ID it issued.

    The primary key is the sequence and the state ID is made from it (state_id_for): it never
    reuses a number (PostgreSQL's sequences never do; Django's SQLite tables are
    AUTOINCREMENT), so neither do state IDs, and issuing many is one bulk insert.
    """

    # Normalised names (statesync.state.people.matching.normalise) and the rest of the match key.
    last_key = models.CharField(max_length=60)
    first_key = models.CharField(max_length=60)
    # Birth date and a name's initial: where matching looks (statesync.state.people.matching.block).
    block_last = models.CharField(max_length=11)
    block_first = models.CharField(max_length=11)
    last_name = models.CharField(max_length=60)
    first_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    gender = models.CharField(max_length=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "state_person"
        indexes = [
            models.Index(fields=["block_last"], name="state_person_block_last"),
            models.Index(fields=["block_first"], name="state_person_block_first"),
        ]

    def __str__(self) -> str:
        return f"{self.state_id} {self.last_name}, {self.first_name}"

    @property
    def state_id(self) -> str:
        return state_id_for(self.pk)

    @staticmethod
    def issue(using: str, people: list[tuple]) -> None:
        """Save `people` (values of PERSON_COLUMNS but the last), each with its number from
        reserve_numbers, in one bulk insert: model instances cost more than the matching."""
        connection = connections[using]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = [(*person, now) for person in people]
        bulk.insert_rows(connection, "state_person", PERSON_COLUMNS, rows)

    @staticmethod
    def issued(using: str, state_ids: Iterable[str]) -> dict[str, int]:
        """Those of `state_ids` the state issued: state ID → person pk."""
        numbers = {n: s for s in set(state_ids) if (n := number_of(s)) is not None}
        found = StatePerson.objects.using(using).filter(pk__in=sorted(numbers))
        return {numbers[pk]: pk for pk in found.values_list("pk", flat=True)}


class MatchHold(models.Model):
    """A person the state accepted but could not give a state ID to without a person's eye:
    it looks like one or more people the state knows."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        MATCHED = "matched", "Matched to an existing state ID"
        NEW = "new", "Given a new state ID"

    district = models.ForeignKey(District, on_delete=models.CASCADE, db_index=False)
    record_id = models.BigIntegerField()
    # The record as the district sent it: last_name, first_name, birth_date, gender ...
    record = models.JSONField()
    # Candidates: [{"person": pk, "state_id", "score", "reasons": [...]}], best first.
    candidates = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    state_id = models.CharField(max_length=10, blank=True)

    class Meta:
        db_table = "state_matchhold"
        ordering = ["id"]
        indexes = [models.Index(fields=["district", "record_id"], name="matchhold_record")]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "record_id"],
                condition=models.Q(status="pending"),
                name="matchhold_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"Match hold {self.pk}: {self.district.number} person {self.record_id}"
