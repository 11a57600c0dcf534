"""The National Records Exchange's router (docs/EXCHANGE.md): the registry of districts that
take part, the places the locator finds them by, the credentials they call with, and the
requests it relays between them with their packets until received."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from statesync.core import transfers as wire
from statesync.core.exchange import TERMS_VERSION  # noqa: F401  (the registry checks it)
from statesync.core.hashedtokens import HashedToken
from statesync.core.relaying import RelayedPacket, RelayedTransfer
from statesync.core.tokens import new_token

REGISTRATION_PREFIX = "srr_"  # a one-time token that lets a district register
CREDENTIAL_PREFIX = "src_"  # a registered district's credential for the router's API


class Member(models.Model):
    """A district known to the router: invited (a registration token issued), registered
    (terms accepted; found by the locator), or withdrawn."""

    INVITED, REGISTERED, WITHDRAWN = "invited", "registered", "withdrawn"

    name = models.CharField(max_length=100)
    state = models.CharField(max_length=2)  # the postal code of the district's state
    status = models.CharField(max_length=12, default=INVITED)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.CharField(max_length=150)
    registered_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.CharField(max_length=150, blank=True)
    terms_version = models.CharField(max_length=20, blank=True)
    contact = models.CharField(max_length=200, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "router_member"
        ordering = ["state", "name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def code(self) -> str:
        """How districts name each other across the exchange: the state, then the number."""
        return f"{self.state}-{self.pk:04d}"

    def issue(self, kind: str) -> str:
        """A fresh registration token or credential (`kind`), shown once; every other live
        token of the member is revoked with it (a rotation)."""
        prefix = REGISTRATION_PREFIX if kind == Credential.REGISTRATION else CREDENTIAL_PREFIX
        token, digest = new_token(prefix)
        self.credentials.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        Credential.objects.create(member=self, kind=kind, token_hash=digest, prefix=token[:10])
        return token

    def revoke(self) -> int:
        """Revoke every live token of the member; how many."""
        return self.credentials.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class Credential(HashedToken):
    REGISTRATION, CREDENTIAL = "registration", "credential"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(max_length=12)

    class Meta:
        db_table = "router_credential"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.kind} of {self.member.code})"

    @classmethod
    def authenticate(cls, token: str, kind: str) -> Credential | None:
        """The live token of `kind` matching `token`, or None."""
        return cls.live(token).filter(kind=kind).select_related("member").first()


class Place(models.Model):
    """A city and ZIP code the locator finds a registered district by."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="places")
    city = models.CharField(max_length=60)
    zip_code = models.CharField(max_length=5)
    share = models.FloatField()  # of the district's enrolled students, 0-1

    class Meta:
        db_table = "router_place"
        ordering = ["-share"]

    def __str__(self) -> str:
        return f"{self.city} {self.zip_code}"


class Transfer(RelayedTransfer):
    """A request across the exchange: from what the requester knows of the student to the
    registered district it chose in the locator."""

    requesting = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    former = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    student_id = models.CharField(max_length=20, blank=True)  # the former state's ID, if known
    former_school = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "router_transfer"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["requesting", "status"], name="router_requesting"),
            models.Index(fields=["former", "status"], name="router_former"),
            models.Index(fields=["status", "expires_at"], name="router_expiry"),
        ]

    def as_item(self) -> wire.Item:
        """The transfer as the router tells either district of it."""
        return wire.Item(
            id=self.pk,
            status=self.status,
            state_id=self.student_id,
            first_name=self.first_name,
            last_name=self.last_name,
            birth_date=self.birth_date.isoformat(),
            requesting_district=self.requesting.code,
            requesting_name=f"{self.requesting.name} ({self.requesting.state})",
            requested_by=self.requested_by,
            requested_at=self.requested_at.isoformat(),
            former_district=self.former.code,
            former_name=f"{self.former.name} ({self.former.state})",
            candidates=[],
            reason=self.reason,
            answered_at=self.answered_at.isoformat() if self.answered_at else None,
            expires_at=self.expires_at.isoformat(),
            reminded_at=self.reminded_at.isoformat() if self.reminded_at else None,
            documents=self.documents_released(),
            former_school=self.former_school,
        )


class Packet(RelayedPacket):
    EDITION = "router"

    transfer = models.OneToOneField(
        Transfer, on_delete=models.CASCADE, primary_key=True, related_name="packet"
    )

    class Meta:
        db_table = "router_packet"
