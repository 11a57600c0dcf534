"""What the state knows of each district's sync: aggregated in SQL, one query per object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connections
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.ingest import copies
from statesync.state.models import District

# What the state's lights mean (the district's batch page has its own:
# statesync.district.services.status).
LEGEND = (
    ("grey", "Nothing received"),
    ("green", "Held, none rejected"),
    ("amber", "Held, some records rejected"),
)


@dataclass
class ObjectFigures:
    accepted: int = 0
    rejected: int = 0
    last_accepted: datetime | None = None

    @property
    def light(self) -> str:
        if not self.accepted and not self.rejected:
            return "grey"
        return "amber" if self.rejected else "green"


@dataclass
class DistrictOverview:
    district: District
    objects: dict[str, ObjectFigures] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.objects.values())

    @property
    def light(self) -> str:
        lights = {f.light for f in self.objects.values()}
        if lights <= {"grey"}:
            return "grey"
        return "amber" if "amber" in lights else "green"


def _when(value) -> datetime | None:
    """A time read with raw SQL: SQLite gives Django's stored UTC as naive text, so a naive
    value is UTC (reading it in the site's zone showed UTC labelled as local)."""
    if value is None:
        return None
    value = parse_datetime(value) if isinstance(value, str) else value
    return make_aware(value, UTC) if is_naive(value) else value


def overview(districts: list[District]) -> list[DistrictOverview]:
    result = {
        d.pk: DistrictOverview(d, {n: ObjectFigures() for n in catalog.NAMES}) for d in districts
    }
    if not result:
        return []
    ids = list(result)
    marks = ", ".join(["%s"] * len(ids))
    with connections[state_db()].cursor() as cursor:
        for name in catalog.NAMES:
            for tenant, count, last in copies.counts(state_db(), catalog.OBJECTS[name], ids):
                figures = result[tenant].objects[name]
                figures.accepted, figures.last_accepted = count, _when(last)
        cursor.execute(
            f"SELECT district_id, object, COUNT(*) FROM state_rejection "
            f"WHERE district_id IN ({marks}) GROUP BY district_id, object",
            ids,
        )
        for tenant, name, count in cursor.fetchall():
            if name in result[tenant].objects:
                result[tenant].objects[name].rejected = count
    return [result[d.pk] for d in districts]
