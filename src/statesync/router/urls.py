from django.urls import path

from statesync.router import views

app_name = "router"
urlpatterns = [
    path("router/", views.districts, name="districts"),
    path("router/districts/add/", views.district_add, name="district-add"),
    path("router/districts/<int:pk>/revoke/", views.district_revoke, name="district-revoke"),
    path("router/transfers/", views.transfers, name="transfers"),
]
