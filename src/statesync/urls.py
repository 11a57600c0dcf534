from django.conf import settings
from django.contrib import admin
from django.urls import include, path

if settings.ROLE in ("district", "both"):
    from statesync.district.api import api as district_api
if settings.ROLE in ("state", "both"):
    from statesync.state.api.routes import api as state_api
if settings.ROLE in ("router", "both"):
    from statesync.router.api import api as router_api

urlpatterns = [
    path("", include("statesync.web.urls")),
    path("", include("statesync.access.urls")),
    path("admin/", admin.site.urls),
]
if settings.ROLE in ("district", "both"):
    urlpatterns.append(path("district/", include("statesync.district.urls")))
    urlpatterns.append(path("api/district/v1/", district_api.urls))
if settings.ROLE in ("state", "both"):
    urlpatterns.append(path("", include("statesync.state.urls")))
    urlpatterns.append(path("api/state/v1/", state_api.urls))
    urlpatterns.append(path("edfi/", include("statesync.state.edfi.urls")))

if settings.ROLE in ("router", "both"):
    urlpatterns.append(path("", include("statesync.router.urls")))
    urlpatterns.append(path("api/router/v1/", router_api.urls))

handler404 = "statesync.core.http.api.not_found"
handler500 = "statesync.core.http.api.server_error"
