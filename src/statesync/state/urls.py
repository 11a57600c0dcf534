from django.urls import path

from statesync.state.views import deleter
from statesync.state.views import edfi as edfi_views
from statesync.state.views import messages as message_views
from statesync.state.views import owned as owned_views
from statesync.state.views import record as record_views
from statesync.state.views import resync as views
from statesync.state.views import transfers as transfer_views
from statesync.state.views import years as year_views

app_name = "state"
urlpatterns = [
    path("state/years/", year_views.years, name="years"),
    path("state/years/request/", year_views.years_request, name="years-request"),
    path("state/years/close/", year_views.years_close, name="years-close"),
    path("state/verification/", year_views.state_verification, name="verification-summary"),
    path(
        "state/verification/request/",
        year_views.verification_request,
        name="verification-summary-request",
    ),
    path("state/matching/", owned_views.matching, name="matching"),
    path("state/matching/<int:pk>/", owned_views.matching_decide, name="matching-decide"),
    path("state/field-settings/", owned_views.field_settings, name="field-settings"),
    path(
        "state/field-settings/change/",
        owned_views.field_settings_change,
        name="field-settings-change",
    ),
    path("state/conflicts/", owned_views.conflicts, name="conflicts"),
    path("state/transfers/", transfer_views.transfers, name="transfers"),
    path("state/districts/", views.districts, name="districts"),
    path("state/districts/<str:number>/", views.district, name="district"),
    path("state/districts/<str:number>/request/", views.request_resync, name="request-resync"),
    path("state/districts/<str:number>/value/", owned_views.district_value, name="district-value"),
    path("state/districts/<str:number>/record/", record_views.held_record_page, name="record"),
    path(
        "state/districts/<str:number>/record/sync/",
        record_views.held_record_sync,
        name="record-sync",
    ),
    path(
        "state/districts/<str:number>/record-deleter/",
        deleter.record_deleter,
        name="record-deleter",
    ),
    path(
        "state/districts/<str:number>/messages/",
        message_views.received_messages,
        name="received-messages",
    ),
    path(
        "state/districts/<str:number>/messages/report.csv",
        message_views.received_report,
        name="received-messages-report",
    ),
    path(
        "state/districts/<str:number>/messages/<int:pk>/",
        message_views.received_message,
        name="received-message",
    ),
    path("state/districts/<str:number>/edfi-client/", edfi_views.edfi_client, name="edfi-client"),
]
