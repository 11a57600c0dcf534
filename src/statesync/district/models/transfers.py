"""Student Records Transfer in the district (docs/TRANSFERS.md): the requests this district
made and those routed to it, as the state last told; the documents attached to a release or
received with one, in private files named by the system; and a received student's enrollments
elsewhere, kept as prior history (never as this district's enrollments)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from statesync.core.transfers import KINDS, Status

EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


class Side(models.TextChoices):
    ASKED = "asked", "We asked"
    ROUTED = "routed", "Asked of us"


class Relay(models.TextChoices):
    """Who relays the request: the state (within it) or the National Records Exchange."""

    STATE = "state", "The state"
    ROUTER = "router", "National Records Exchange"


NATIONAL_MARK = "N"  # a national request's reference: N7 is the router's request 7


class Transfer(models.Model):
    relay = models.CharField(max_length=8, choices=Relay.choices, default=Relay.STATE)
    state_ref = models.BigIntegerField()  # the relay's transfer ID
    side = models.CharField(max_length=8, choices=Side.choices)
    status = models.CharField(max_length=12)
    # The state ID; for a national request, the former state's student ID if it is known.
    state_id = models.CharField(max_length=20, blank=True)
    former_school = models.CharField(max_length=100, blank=True)  # a national requester's
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    # The other district: the former one (asked) or the requester (routed); "" until routed.
    other_district = models.CharField(max_length=12, blank=True)
    other_name = models.CharField(max_length=100, blank=True)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    candidates = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    documents = models.IntegerField(default=0)  # in the released packet
    # Asked: the person the request is for, then the person the records were taken into.
    person_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.CharField(max_length=150, blank=True)
    told = models.CharField(max_length=40, blank=True)  # what the district's people were told

    class Meta:
        db_table = "district_transfer"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["relay", "state_ref"], name="transfer_relay_ref")
        ]

    def __str__(self) -> str:
        return f"transfer {self.ref}: {self.last_name}, {self.first_name}"

    @property
    def ref(self) -> str:
        """How people and URLs name it: the state's ID, or N and the router's."""
        national = self.relay == Relay.ROUTER
        return f"{NATIONAL_MARK if national else ''}{self.state_ref}"

    @property
    def is_national(self) -> bool:
        return self.relay == Relay.ROUTER

    @classmethod
    def by_ref(cls, ref: str) -> Transfer | None:
        """The transfer `ref` names (7, N7), or None."""
        text = str(ref).strip().upper()
        relay = Relay.ROUTER if text.startswith(NATIONAL_MARK) else Relay.STATE
        number = text.removeprefix(NATIONAL_MARK)
        if not number.isascii() or not number.isdigit() or len(number) > 18:
            return None
        return cls.objects.filter(relay=relay, state_ref=int(number)).first()

    @property
    def status_label(self) -> str:
        return Status.LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in Status.OPEN

    def folder(self) -> Path:
        return Path(settings.HOME) / "transfers" / "district" / self.ref


class TransferDocument(models.Model):
    """A document attached to this district's release, or received with a packet."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="files")
    received = models.BooleanField(default=False)
    kind = models.CharField(max_length=20, choices=list(KINDS.items()))
    label = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.IntegerField()
    sha256 = models.CharField(max_length=64)
    added_by = models.CharField(max_length=150, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "district_transfer_document"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def file_name(self) -> str:
        """Named by the system: never the name the uploader gave."""
        return f"{'received' if self.received else 'attached'}-{self.pk}"

    @property
    def download_name(self) -> str:
        extension = EXTENSIONS.get(self.content_type, "bin")
        return f"transfer-{self.transfer.ref}-{self.kind}-{self.pk}.{extension}"


class PriorEnrollment(models.Model):
    """An enrollment the student had in another district, received with their records."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="prior")
    person_id = models.BigIntegerField()
    district = models.CharField(max_length=12)
    district_name = models.CharField(max_length=100)
    school = models.CharField(max_length=100)
    school_number = models.CharField(max_length=4)
    school_year = models.IntegerField()
    grade = models.CharField(max_length=4)
    service_type = models.CharField(max_length=2)
    start_date = models.DateField()
    start_status = models.CharField(max_length=4)
    end_date = models.DateField(null=True, blank=True)
    end_status = models.CharField(max_length=4, blank=True)

    class Meta:
        db_table = "district_prior_enrollment"
        ordering = ["person_id", "-start_date"]

    def __str__(self) -> str:
        return f"person {self.person_id} at {self.school} ({self.district}) from {self.start_date}"


class TransferSettings(models.Model):
    """Who may release this district's records: with a group named, only its members (and
    the security role) may, on top of W on Student Records Transfer."""

    releasers = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "district_transfer_settings"

    def __str__(self) -> str:
        return f"releasers: {self.releasers or 'anyone with W'}"

    @classmethod
    def current(cls) -> TransferSettings:
        return cls.objects.get_or_create(pk=1)[0]

    def may_release(self, user) -> bool:
        if self.releasers is None or user.is_superuser:
            return True
        return user.groups.filter(pk=self.releasers_id).exists()
