"""The Ed-Fi door's own records (docs/EDFI.md): its clients, their tokens, and the documents sent.

What an Ed-Fi district sends is mapped onto the 11 objects and stored in the same per-district
copy as the native door's batches; the document as the client sent it is kept beside it, so a
GET gives back what was POSTed (with the state's `id`) and Change Queries can say what changed.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid

from django.db import connections, models, router
from django.utils import timezone

from statesync.core.hashedtokens import LAST_USE_EVERY
from statesync.core.tokens import hash_token, new_token
from statesync.state.models.registry import District

EDFI_TOKEN_PREFIX = "edfi_"  # an Ed-Fi client's bearer token
TOKEN_LIFETIME = dt.timedelta(minutes=30)  # the ODS/API's default access-token lifetime


class EdfiClient(models.Model):
    """OAuth2 client credentials for one district (or, without one, the state's reader)."""

    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.CASCADE, related_name="edfi_clients"
    )
    key = models.CharField(max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "state_edficlient"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.key} ({self.district.number if self.district else 'state reader'})"

    @property
    def is_reader(self) -> bool:
        """The state's own read-only client: every district's records, no writes."""
        return self.district_id is None

    @classmethod
    def issue(cls, district: District | None, label: str = "") -> tuple[EdfiClient, str]:
        """A new client and its secret; only the secret's hash is kept, so show it now."""
        secret = secrets.token_urlsafe(32)
        client = cls.objects.create(
            district=district,
            key=secrets.token_hex(10),
            secret_hash=hash_token(secret),
            label=label,
        )
        return client, secret

    def rotate(self) -> str:
        """A new secret for this client; the old one and every token it got stop working."""
        secret = secrets.token_urlsafe(32)
        self.secret_hash = hash_token(secret)
        self.save(update_fields=["secret_hash"])
        self.tokens.all().delete()
        return secret

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        self.tokens.all().delete()

    @classmethod
    def authenticate(cls, key: str, secret: str) -> EdfiClient | None:
        """The live client with this key and secret, or None."""
        client = cls.objects.select_related("district").filter(key=key, revoked_at=None).first()
        if client is None or not hmac.compare_digest(client.secret_hash, hash_token(secret)):
            return None
        return client


class EdfiToken(models.Model):
    """A bearer token an Ed-Fi client got from /edfi/oauth/token; kept as a hash."""

    client = models.ForeignKey(EdfiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "state_edfitoken"

    def __str__(self) -> str:
        return f"token of Ed-Fi client {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @classmethod
    def issue(cls, client: EdfiClient) -> str:
        token, token_hash = new_token(EDFI_TOKEN_PREFIX)
        now = timezone.now()
        cls.objects.filter(client=client, expires_at__lt=now).delete()
        cls.objects.create(client=client, token_hash=token_hash, expires_at=now + TOKEN_LIFETIME)
        return token

    @classmethod
    def authenticate(cls, token: str) -> EdfiClient | None:
        """The client of a live, unexpired token, or None."""
        if not token.startswith(EDFI_TOKEN_PREFIX):
            return None
        # Every Ed-Fi request asks this: one plain query, not the ORM's join (profiled at a
        # quarter of a POST's time).
        using = router.db_for_read(cls)
        with connections[using].cursor() as cursor:
            now = timezone.now()
            cursor.execute(_LIVE_TOKEN, [now - LAST_USE_EVERY, hash_token(token), now])
            row = cursor.fetchone()
        if row is None:
            return None
        client_id, district_id, key, stale, number, name = row
        district = None
        if district_id is not None:
            district = District(pk=district_id, number=number, name=name)
            district._state.adding, district._state.db = False, using
        # last_used_at None says "record this use"; otherwise it was recorded within the minute.
        client = EdfiClient(
            pk=client_id, district=district, key=key, last_used_at=None if stale else now
        )
        client._state.adding, client._state.db = False, using
        return client


_LIVE_TOKEN = (
    "SELECT c.id, c.district_id, c.key, "
    "CASE WHEN c.last_used_at IS NULL OR c.last_used_at < %s THEN 1 ELSE 0 END, d.number, d.name "
    "FROM state_edfitoken t "
    "JOIN state_edficlient c ON c.id = t.client_id "
    "LEFT JOIN state_district d ON d.id = c.district_id "
    "WHERE t.token_hash = %s AND t.expires_at > %s AND c.revoked_at IS NULL"
)


class EdfiDocument(models.Model):
    """One Ed-Fi resource's record as a district sent it, by its natural key.

    Its primary key is the district ID of the statesync record it maps to, so the ID never
    changes while the natural key stays the same, even across a delete. `body` is None while
    the record is not held (never accepted, or deleted).
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=80)
    natural_key = models.CharField(max_length=400)
    resource_id = models.UUIDField(default=uuid.uuid4, unique=True)
    body = models.JSONField(null=True, blank=True)
    change_version = models.BigIntegerField(null=True, blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "state_edfidocument"
        constraints = [
            models.UniqueConstraint(
                fields=["district", "resource", "natural_key"], name="edfi_document_key"
            )
        ]
        indexes = [
            models.Index(fields=["resource", "district", "change_version"], name="edfi_doc_cv"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.natural_key}"


class EdfiChange(models.Model):
    """The Change Queries log: its ID is the change version; deletes keep their key values."""

    id = models.BigAutoField(primary_key=True)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=80)
    resource_id = models.UUIDField()
    deleted = models.BooleanField(default=False)
    key_values = models.JSONField(default=dict)

    class Meta:
        db_table = "state_edfichange"
        indexes = [models.Index(fields=["resource", "deleted", "id"], name="edfi_change_deletes")]

    def __str__(self) -> str:
        return f"change {self.pk}: {self.resource} {'deleted' if self.deleted else 'upserted'}"
