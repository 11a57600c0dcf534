from __future__ import annotations

import datetime

from django.db import models


class SchoolYear(models.Model):
    """A school year of the district; the active one is what resync sends."""

    end_year = models.IntegerField(primary_key=True, help_text="2024 means 2023-2024.")
    active = models.BooleanField(default=False)

    class Meta:
        db_table = "district_schoolyear"
        ordering = ["-end_year"]

    def __str__(self) -> str:
        return f"{self.end_year - 1}-{self.end_year}"

    @classmethod
    def current(cls) -> int:
        """The active school year, or the one today falls in (July starts a new one)."""
        active = cls.objects.filter(active=True).values_list("end_year", flat=True).first()
        if active:
            return active
        today = datetime.date.today()
        return today.year + 1 if today.month >= 7 else today.year

    @classmethod
    def activate(cls, end_year: int) -> None:
        cls.objects.exclude(end_year=end_year).update(active=False)
        cls.objects.update_or_create(end_year=end_year, defaults={"active": True})
