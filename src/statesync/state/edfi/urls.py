"""The Ed-Fi API's routes, under /edfi/ (docs/EDFI.md)."""

from django.urls import path, re_path

from statesync.state.edfi import views

app_name = "edfi"
urlpatterns = [
    path("", views.discovery, name="discovery"),
    path("oauth/token", views.token, name="token"),
    path("metadata/", views.metadata, name="metadata"),
    path("metadata/data/v3/dependencies", views.dependencies, name="dependencies"),
    path(
        "metadata/data/v3/resources/swagger.json", views.resources_swagger, name="resources-swagger"
    ),
    path(
        "metadata/data/v3/descriptors/swagger.json",
        views.descriptors_swagger,
        name="descriptors-swagger",
    ),
    path(
        "changeQueries/v1/availableChangeVersions",
        views.available_change_versions,
        name="available-change-versions",
    ),
    path("data/v3/ed-fi/<str:resource>/deletes", views.deletes, name="deletes"),
    path("data/v3/ed-fi/<str:resource>/<str:resource_id>", views.item, name="item"),
    path("data/v3/ed-fi/<str:resource>", views.collection, name="collection"),
    re_path(r"^(?P<rest>.*)$", views.not_served, name="not-served"),
]
