"""How every kind of bearer token is kept — a personal token, a district's token at the state,
a district's credential at the router: its hash, never the token (core/tokens.py)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from statesync.core.tokens import hash_token

# How fresh a token's "last used" is kept: a write on every call would make each read a writer
# (SQLite takes one writer at a time; on PostgreSQL each is a commit to wait for).
LAST_USE_EVERY = dt.timedelta(minutes=1)


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

    def record_use(self) -> None:
        """Note that the token was used now, unless that was noted within LAST_USE_EVERY."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > LAST_USE_EVERY:
            type(self)._default_manager.using(self._state.db).filter(pk=self.pk).update(
                last_used_at=now
            )
            self.last_used_at = now

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
