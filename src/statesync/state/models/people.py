"""The state's people: the state IDs it issued, which district records carry them, and the
likely matches it holds for a state data manager (docs/STATE_OWNED.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from stdnum import luhn

from statesync.state.models.registry import District

# State IDs are nine digits from the sequence, then a check digit: 10 digits in all.
FIRST_NUMBER = 100_000_000


def state_id_for(number: int) -> str:
    """The state ID of the sequence's `number`: its nine digits and their Luhn check digit."""
    digits = str(FIRST_NUMBER + number)
    return digits + luhn.calc_check_digit(digits)


def check_digit_holds(state_id: str) -> bool:
    """Whether a 10-digit state ID's last digit is its check digit (a mistyped ID fails)."""
    return luhn.is_valid(state_id)


class StatePerson(models.Model):
    """One person as the state knows them, with the state ID it issued.

    The primary key is the sequence: it never reuses a number (PostgreSQL's sequences never
    do; Django's SQLite tables are AUTOINCREMENT), so neither do state IDs.
    """

    # Null only between the row's insert and the update that writes its number's ID.
    state_id = models.CharField(  # noqa: DJ001  (NULLs are distinct under UNIQUE; "" is not)
        max_length=10, unique=True, null=True, editable=False
    )
    # Normalised names (statesync.state.matching.normalise) and the rest of the match key.
    last_key = models.CharField(max_length=60)
    first_key = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    first_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    gender = models.CharField(max_length=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "state_person"
        indexes = [models.Index(fields=["birth_date"], name="state_person_birth")]

    def __str__(self) -> str:
        return f"{self.state_id} {self.last_name}, {self.first_name}"

    @staticmethod
    def issue(using: str, people: list[StatePerson]) -> list[StatePerson]:
        """Save `people` with the next state IDs from the sequence (two statements in all)."""
        made = StatePerson.objects.using(using).bulk_create(people)
        for person in made:
            person.state_id = state_id_for(person.pk)
        StatePerson.objects.using(using).bulk_update(made, ["state_id"], batch_size=500)
        return made


class PersonLink(models.Model):
    """A district's person record and the state person (so the state ID) it is."""

    district = models.ForeignKey(District, on_delete=models.CASCADE)
    record_id = models.BigIntegerField()
    person = models.ForeignKey(StatePerson, on_delete=models.PROTECT, related_name="links")
    how = models.CharField(max_length=40)  # "new", "exact match", "sent by the district", ...
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "state_personlink"
        constraints = [
            models.UniqueConstraint(fields=["district", "record_id"], name="personlink_record")
        ]

    def __str__(self) -> str:
        return f"{self.district.number} person {self.record_id} → {self.person.state_id}"


class MatchHold(models.Model):
    """A person the state accepted but could not give a state ID to without a person's eye:
    it looks like one or more people the state knows."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        MATCHED = "matched", "Matched to an existing state ID"
        NEW = "new", "Given a new state ID"

    district = models.ForeignKey(District, on_delete=models.CASCADE)
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
        constraints = [
            models.UniqueConstraint(
                fields=["district", "record_id"],
                condition=models.Q(status="pending"),
                name="matchhold_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"Match hold {self.pk}: {self.district.number} person {self.record_id}"
