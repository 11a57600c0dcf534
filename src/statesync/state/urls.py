from django.urls import path

from statesync.district import views as placeholder
from statesync.state import api

app_name = "state"
urlpatterns = [
    path("api/state/v1/districts/<str:number>/", api.whoami, name="api-whoami"),
    path(
        "api/state/v1/districts/<str:number>/objects/<str:name>/batch",
        api.batch,
        name="api-batch",
    ),
    path(
        "api/state/v1/districts/<str:number>/objects/<str:name>/digest",
        api.digests,
        name="api-digest",
    ),
    path(
        "state/districts/",
        placeholder.coming_soon,
        {"tool": "Resync State Data (State)"},
        name="districts",
    ),
]
