from django.urls import path

from statesync.access import views

urlpatterns = [
    path("rights/", views.tool_rights, name="tool-rights"),
    path("audit/", views.audit_log, name="audit-log"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", views.revoke_token, name="token-revoke"),
]
