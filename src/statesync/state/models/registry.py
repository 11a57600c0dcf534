"""The state's registry of districts and the API tokens that act for them."""

from __future__ import annotations

import re

from django.db import models
from django.utils import timezone

from statesync.core.hashedtokens import HashedToken
from statesync.core.tokens import STATE_TOKEN_PREFIX as TOKEN_PREFIX
from statesync.core.tokens import new_token


class District(models.Model):
    """A district registered with the state edition."""

    number = models.CharField(max_length=4, unique=True, help_text="State district number.")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    last_realtime_at = models.DateTimeField(null=True, blank=True)
    last_resync_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "state_district"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def code(self) -> str:
        """How other districts and the audit log name it: its number."""
        return self.number

    @classmethod
    def register(cls, number: str, name: str) -> District:
        if not re.fullmatch(r"[0-9]{4}", number or ""):
            raise ValueError(f"district number {number!r} must be 4 digits, like 0001")
        if cls.objects.filter(number=number).exists():
            raise ValueError(f"district {number} is already registered")
        return cls.objects.create(number=number, name=name)

    def issue_token(self, label: str = "", rotate: bool = False) -> str:
        """Create a token for this district and return it; only its hash is kept.

        `rotate` revokes every other live token of the district (a leaked one stops working).
        """
        token, token_hash = new_token(TOKEN_PREFIX)
        issued = ApiToken.objects.create(
            district=self, token_hash=token_hash, prefix=token[:10], label=label
        )
        if rotate:
            self.tokens.filter(revoked_at__isnull=True).exclude(pk=issued.pk).update(
                revoked_at=timezone.now()
            )
        return token


class ApiToken(HashedToken):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell it.")
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "state_apitoken"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.district.number})"

    @classmethod
    def authenticate(cls, token: str) -> ApiToken | None:
        """The live token matching `token`, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        return cls.live_with(token, "district")
