"""School years at the state: its scoped year, the years it closed, and what each district
reports of each year (its end-of-year and start-of-year resyncs, its last verify)."""

from __future__ import annotations

import datetime

import msgspec
from django.db import models, transaction
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core.db.routers import state_db
from statesync.core.years import EndYear, year_of
from statesync.state.models.registry import District


class StateYear(EndYear):
    """A school year as the state runs it: the scoped one, and whether it is closed."""

    current = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True)

    class Meta(EndYear.Meta):
        db_table = "state_year"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @classmethod
    def current_year(cls) -> int:
        """The state's scoped year: the one it set, else the latest a district scoped, else
        the one today falls in."""
        chosen = cls.objects.filter(current=True).values_list("end_year", flat=True).first()
        if chosen:
            return chosen
        reported = DistrictYear.objects.filter(scoped=True).aggregate(y=models.Max("school_year"))
        if reported["y"]:
            return reported["y"]
        return year_of(datetime.date.today())

    @classmethod
    def make_current(cls, end_year: int) -> StateYear:
        with transaction.atomic(using=state_db()):
            cls.objects.exclude(end_year=end_year).update(current=False)
            year, _ = cls.objects.update_or_create(end_year=end_year, defaults={"current": True})
        return year

    @classmethod
    def closed_years(cls, using: str | None = None) -> set[int]:
        found = cls.objects.using(using).filter(closed_at__isnull=False)
        return set(found.values_list("end_year", flat=True))

    @classmethod
    def close(cls, end_year: int, by: str) -> StateYear:
        year, _ = cls.objects.get_or_create(end_year=end_year)
        year.closed_at, year.closed_by = timezone.now(), by
        year.save(update_fields=["closed_at", "closed_by"])
        return year

    @classmethod
    def reopen(cls, end_year: int) -> None:
        cls.objects.filter(end_year=end_year).update(closed_at=None, closed_by="")


class DistrictYear(models.Model):
    """The latest a district reported of one school year (wire.YearReport)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="years")
    school_year = models.IntegerField()
    scoped = models.BooleanField(default=False)
    scoped_at = models.DateTimeField(null=True, blank=True)
    end_of_year = models.JSONField(null=True, blank=True)
    start_of_year = models.JSONField(null=True, blank=True)
    last_verify = models.JSONField(null=True, blank=True)
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "state_districtyear"
        ordering = ["district", "-school_year"]
        constraints = [
            models.UniqueConstraint(fields=["district", "school_year"], name="districtyear_unique")
        ]

    def __str__(self) -> str:
        return f"{self.district.number} {catalog.year_label(self.school_year)}"

    @classmethod
    def take(cls, district: District, report: wire.YearReport) -> DistrictYear:
        """Keep `report` as the district's word on its year; a scoped year unscopes the rest."""
        plain = msgspec.to_builtins
        with transaction.atomic(using=state_db()):
            if report.scoped:
                cls.objects.filter(district=district).exclude(
                    school_year=report.school_year
                ).update(scoped=False)
            year, _ = cls.objects.update_or_create(
                district=district,
                school_year=report.school_year,
                defaults={
                    "scoped": report.scoped,
                    "scoped_at": report.scoped_at,
                    "end_of_year": plain(report.end_of_year),
                    "start_of_year": plain(report.start_of_year),
                    "last_verify": plain(report.last_verify),
                    "reported_at": timezone.now(),
                },
            )
        return year
