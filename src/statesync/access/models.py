"""Rights holder, audit log and personal API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from statesync.access.rights import PERMISSIONS
from statesync.core.hashedtokens import HashedToken
from statesync.core.tokens import new_token

PERSONAL_TOKEN_PREFIX = "ssp_"


class ToolRight(models.Model):
    """No rows: it only carries the tool-right permissions, so Django's groups can hold them."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = PERMISSIONS

    def __str__(self) -> str:
        return "tool rights"


class AuditEntry(models.Model):
    """One action that changed data or started work. Never deleted from the application."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user goes.")
    action = models.CharField(max_length=60, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=20, default="web")

    class Meta:
        db_table = "access_audit"
        ordering = ["-id"]
        default_permissions = ("view",)  # no add/change/delete: the log is append-only
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.target}"

    @property
    def detail_text(self) -> str:
        """The detail as people read it: "Mode: force. Objects: District, School."."""
        parts = []
        for key, value in (self.detail or {}).items():
            if isinstance(value, list):
                shown = ", ".join(str(v) for v in value[:20]) or "none"
                shown += f" and {len(value) - 20:,} more" if len(value) > 20 else ""
            elif isinstance(value, bool):
                shown = "yes" if value else "no"
            elif isinstance(value, int):
                shown = f"{value:,}"
            elif isinstance(value, dict):
                shown = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
            else:
                shown = str(value) if value not in (None, "") else "—"
            parts.append(f"{key.replace('_', ' ').capitalize()}: {shown}.")
        return " ".join(parts)


class PersonalToken(HashedToken):
    """A user's API token for automation; acts with that user's rights. Only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    label = models.CharField(max_length=100)

    class Meta:
        db_table = "access_personaltoken"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label})"

    @classmethod
    def issue(cls, user, label: str) -> tuple[PersonalToken, str]:
        """Create a token; the secret is returned once and never stored."""
        secret, token_hash = new_token(PERSONAL_TOKEN_PREFIX)
        token = cls.objects.create(
            user=user, label=label, token_hash=token_hash, prefix=secret[:10]
        )
        return token, secret

    @classmethod
    def authenticate(cls, secret: str):
        """The active user behind a live token, or None."""
        if not secret.startswith(PERSONAL_TOKEN_PREFIX):
            return None
        token = cls.live_with(secret, "user")
        if token is None or not token.user.is_active:
            return None
        token.record_use()
        return token.user
