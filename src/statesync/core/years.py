"""A school year as both editions key it: by its end year (2024 is 2023-2024)."""

from __future__ import annotations

import datetime

from django.db import models

from statesync.core import catalog


def year_of(day: datetime.date) -> int:
    """The school year `day` falls in (July starts a new one)."""
    return day.year + 1 if day.month >= 7 else day.year


class EndYear(models.Model):
    end_year = models.IntegerField(primary_key=True, help_text="2024 means 2023-2024.")

    class Meta:
        abstract = True
        ordering = ["-end_year"]

    def __str__(self) -> str:
        return catalog.year_label(self.end_year)

    @property
    def label(self) -> str:
        return catalog.year_label(self.end_year)
