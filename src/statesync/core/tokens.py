"""Bearer tokens: made random, shown once, kept only as a hash — a personal token, a district's
token at the state, a district's credential at the router all kept as a `HashedToken`."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone

STATE_TOKEN_PREFIX = "sst_"  # a district's token for the state API


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh token and its hash; store the hash, show the token once."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)


class HashedToken(models.Model):
    """A bearer token as it is kept: its hash (never the token), its first characters to
    tell it by, when it was made and last used, and when it was revoked."""

    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def live(cls, token: str) -> models.QuerySet:
        """The unrevoked token that `token` is, if any (a queryset of at most one)."""
        return cls._default_manager.filter(token_hash=hash_token(token), revoked_at__isnull=True)

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
