"""Django admin for the district's data: saves here reach the state through the outbox, and
every change is audited (AuditedAdmin)."""

from django.contrib import admin

from statesync.access.admin import AuditedAdmin, HistoryAdmin
from statesync.district.models import (
    DIS_MODELS,
    AppliedChange,
    ErrorLogEntry,
    OutboxEntry,
    Run,
    RunObject,
    SchoolYear,
    StateOwnedField,
    TransferSettings,
)


class DisRecordAdmin(AuditedAdmin):
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over 130,000 enrollments on every page is waste

    def get_list_display(self, request):
        obj = self.model.dis_object
        return ("id", *(f.name for f in obj.fields[:4]))

    def get_search_fields(self, request):
        text = [f.name for f in self.model.dis_object.fields if f.kind == "str"]
        return ["=id", *text[:3]]

    def get_readonly_fields(self, request, obj=None):
        """Fields the state owns are shown, not edited (Synchronization Field Settings)."""
        owned = StateOwnedField.of(self.model.dis_object.name)
        return [*super().get_readonly_fields(request, obj), *sorted(owned)]


for model in DIS_MODELS.values():
    # A parent is typed by its ID: a select of every person on an enrollment's form is
    # 120,000 options (Django has no get_raw_id_fields hook, so it is set per model).
    parents = tuple(f.name for f in model._meta.fields if f.is_relation)
    admin.site.register(model, DisRecordAdmin, raw_id_fields=parents)


class RunObjectInline(admin.TabularInline):
    model = RunObject
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in RunObject._meta.fields]


@admin.register(Run)
class RunAdmin(HistoryAdmin):
    list_display = ("id", "mode", "status", "school_year", "requested_by", "created_at")
    list_filter = ("status", "mode")
    inlines = [RunObjectInline]


@admin.register(ErrorLogEntry)
class ErrorLogAdmin(HistoryAdmin):
    list_display = ("id", "run", "object", "record_id", "code", "field", "message")
    list_filter = ("object", "code", "source")
    show_full_result_count = False


admin.site.register(OutboxEntry, AuditedAdmin)
admin.site.register(SchoolYear, AuditedAdmin)
# Who may release records (Student Records Transfer): a group, or anyone with W.
admin.site.register(TransferSettings, AuditedAdmin)


@admin.register(AppliedChange)
class AppliedChangeAdmin(HistoryAdmin):
    list_display = ("change_id", "object", "record_id", "field", "old_value", "value", "outcome")
    list_filter = ("object", "outcome")
