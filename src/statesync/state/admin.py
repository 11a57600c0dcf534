from django.contrib import admin

from statesync.access.admin import AuditedAdmin, HistoryAdmin
from statesync.state.models import (
    ApiToken,
    District,
    DistrictYear,
    IdentityWork,
    Rejection,
    StateYear,
)


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    can_delete = False
    fields = ("prefix", "label", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")


@admin.register(District)
class DistrictAdmin(AuditedAdmin):
    list_display = ("number", "name", "last_realtime_at", "last_resync_at")
    inlines = [ApiTokenInline]


@admin.register(Rejection)
class RejectionAdmin(HistoryAdmin):
    list_display = ("district", "object", "record_id", "rejected_at")
    list_filter = ("object",)


@admin.register(StateYear)
class StateYearAdmin(AuditedAdmin):
    list_display = ("end_year", "current", "closed_at", "closed_by")


@admin.register(DistrictYear)
class DistrictYearAdmin(HistoryAdmin):
    """What districts reported: read here, changed only by the district's next report."""

    list_display = ("district", "school_year", "scoped", "reported_at")
    list_filter = ("school_year",)


@admin.register(IdentityWork)
class IdentityWorkAdmin(HistoryAdmin):
    """What waits for the identity resolver, and what it set aside with why. Clearing a set-
    aside batch's `failed` puts it back in the queue; its records settle again when the
    district next sends them, too."""

    list_display = ("pk", "district", "object", "records", "run", "queued_at", "attempts")
    list_filter = ("object",)
    readonly_fields = ("district", "object", "run", "records", "queued_at", "attempts")
    exclude = ("payload",)
