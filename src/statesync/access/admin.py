"""Django admin, audited: every add, change and delete made there is in the Audit Log too.

Django admin keeps its own history (LogEntry); the Audit Log is where the security officer looks,
so admin is one more door into it, with what changed (for users and groups: the rights).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst

from statesync.access import audit

# Fields of users and groups that carry rights (R/W/A/D permissions, groups, the security role).
RIGHTS_FIELDS = {"permissions", "user_permissions", "groups", "is_superuser", "is_staff"}


def _target(obj: Model) -> str:
    return f"{capfirst(obj._meta.verbose_name)} {obj.pk}"


def _changed_fields(message: Any) -> list[str]:
    """The field names Django admin's change message lists (it is a list of dicts)."""
    fields: list[str] = []
    for part in message if isinstance(message, list) else []:
        fields += part.get("changed", {}).get("fields", [])
    return fields


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose additions, changes and deletions are audited (door "admin")."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        audit.record(request, "admin.add", _target(obj), via="admin", object=str(obj)[:200])
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        changed = _changed_fields(message)
        # The message names fields by their labels ("Superuser status"): back to field names.
        labels = {
            str(getattr(f, "verbose_name", "")).lower(): f.name for f in obj._meta.get_fields()
        }
        names = {labels.get(label.lower(), label) for label in changed}
        audit.record(
            request,
            "admin.change",
            _target(obj),
            via="admin",
            object=str(obj)[:200],
            changed=changed,
            rights=bool(names & RIGHTS_FIELDS),
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet) -> Any:
        for obj in queryset:
            audit.record(request, "admin.delete", _target(obj), via="admin", object=str(obj)[:200])
        return super().log_deletions(request, queryset)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


class HistoryAdmin(AuditedAdmin):
    """For records of what happened (runs, error-log entries, rejections): statesync writes
    them, so admin may look and delete but never add one."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def audit_every_admin(site: admin.AdminSite = admin.site) -> None:
    """Make every model registered by other apps (django-axes's lockouts, say) audited too:
    deleting a lockout record in admin lifted a lockout without a trace."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, AuditedAdmin):
            audited = type(
                f"Audited{type(model_admin).__name__}", (AuditedAdmin, type(model_admin)), {}
            )
            site.unregister(model)
            site.register(model, audited)
