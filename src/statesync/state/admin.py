from django.contrib import admin

from statesync.access.admin import AuditedAdmin, HistoryAdmin
from statesync.state.models import ApiToken, District, DistrictYear, Rejection, StateYear


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
