from django.urls import path

from statesync.district.views import (
    batch,
    datatool,
    errors,
    messages,
    notifications,
    selective,
    transfers,
    years,
)

app_name = "district"
urlpatterns = [
    path("batch/", batch.batch, name="batch"),
    path("batch/rows/", batch.batch_rows, name="batch-rows"),
    path("batch/plan/", batch.batch_plan, name="batch-plan"),
    path("runs/<int:pk>/", batch.run_detail, name="run"),
    path("runs/<int:pk>/cancel/", batch.run_cancel, name="run-cancel"),
    path("errors/", errors.error_log, name="errors"),
    path("errors/report.csv", errors.error_report, name="errors-report"),
    path("errors/clear/", errors.error_clear, name="errors-clear"),
    path("messages/", messages.message_history, name="messages"),
    path("messages/report.csv", messages.message_report, name="messages-report"),
    path("messages/<int:pk>/", messages.message_detail, name="message"),
    path("messages/<int:pk>/resend/", messages.message_resend, name="message-resend"),
    path("data-tool/", datatool.data_tool, name="data-tool"),
    path("data-tool/sync/", datatool.data_tool_sync, name="data-tool-sync"),
    path("selective/", selective.selective_tool, name="selective"),
    path("selective/<int:pk>/", selective.selective_result, name="selective-result"),
    path("selective/history/delete/", selective.selective_delete, name="selective-delete"),
    path("years/rollover/", years.rollover, name="rollover"),
    path("years/verification/", years.verification, name="verification"),
    path("transfers/", transfers.transfer_list, name="transfers"),
    path("transfers/request/", transfers.transfer_request, name="transfer-request"),
    path("transfers/<int:ref>/", transfers.transfer_detail, name="transfer"),
    path("transfers/<int:ref>/do/", transfers.transfer_action, name="transfer-action"),
    path("transfers/<int:ref>/delete/", transfers.transfer_delete, name="transfer-delete"),
    path(
        "transfers/<int:ref>/documents/<int:pk>/",
        transfers.transfer_document,
        name="transfer-document",
    ),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications-read"),
]
