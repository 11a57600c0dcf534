from django.urls import path

from statesync.district import api
from statesync.district.openapi import openapi

app_name = "district-api"
urlpatterns = [
    path("openapi.json", openapi, name="openapi"),
    path("resync", api.start_resync, name="resync"),
    path("runs/<int:pk>", api.run_status, name="run"),
    path("runs/<int:pk>/errors", api.run_errors, name="run-errors"),
    path("selective-sync", api.selective_sync, name="selective-sync"),
    path("selective-sync/<int:pk>", api.selective_status, name="selective-status"),
]
