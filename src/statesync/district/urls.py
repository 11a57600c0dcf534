from django.urls import path

from statesync.district import views

app_name = "district"
urlpatterns = [
    path("batch/", views.coming_soon, {"tool": "Resync State Data - Batch"}, name="batch"),
    path(
        "selective/",
        views.coming_soon,
        {"tool": "Resync State Data - Selective Sync"},
        name="selective",
    ),
    path("errors/", views.coming_soon, {"tool": "Error Log"}, name="errors"),
]
