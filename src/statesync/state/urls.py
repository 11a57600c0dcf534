from django.urls import path

from statesync.district import views as placeholder

app_name = "state"
urlpatterns = [
    path("state/districts/", placeholder.coming_soon, {"tool": "Resync State Data (State)"}, name="districts"),
]
