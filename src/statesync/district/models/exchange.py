"""This district's registration with the National Records Exchange (docs/EXCHANGE.md): the
router it registered with, under which code, who registered it and when, the terms it
accepted, the places it gave the locator, and the credential it calls the router with."""

from __future__ import annotations

from django.db import models


class Registration(models.Model):
    router_url = models.URLField()
    code = models.CharField(max_length=12)  # the router's name for this district: IL-0001
    name = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    status = models.CharField(max_length=12)
    registered_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.CharField(max_length=150)
    terms_version = models.CharField(max_length=20)
    contact = models.CharField(max_length=200, blank=True)
    places = models.JSONField(default=list)  # [{city, zip_code, share}] as sent
    left_out = models.JSONField(default=list)  # places of too few students, not sent
    # The router keeps only its hash; the district must present it, as it does the state's
    # token (dis.json). Never shown on a page.
    credential = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "district_exchange_registration"

    def __str__(self) -> str:
        return f"{self.code} at {self.router_url} ({self.status})"

    @classmethod
    def current(cls) -> Registration | None:
        return cls.objects.order_by("-pk").first()
