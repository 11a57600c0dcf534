"""Synthetic districts: plausible data at the product page's scale, with reproducible defects.

Everything is drawn from one `random.Random(seed)`, so the same seed gives the same tables.
Defects are realistic faults (a missing state school number, a calendar ending before it
starts, an unknown course code, a grade of 13) that the state's rules catch on their own.
`objects` and `people` hold one generator (and defect planter) per object; adding an object
means adding its generator to `STEPS`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connections, transaction

from statesync.core import catalog
from statesync.core.db import bulk
from statesync.tools.demo.seed import objects, people
from statesync.tools.demo.seed.dates import iso
from statesync.tools.demo.seed.movers import movers as share_movers
from statesync.tools.demo.seed.objects import Generation, Record
from statesync.tools.demo.seed.previous import previous_year
from statesync.tools.demo.seed.scale import (
    DEFECT_RATES,
    SCALES,
    SEED_COUNTS,
    parse_scale,
    scale_factor,
    scaled_counts,
)

# The order of the draw: each generator after what it hangs under, each object's defects
# planted before anything reads it.
STEPS: tuple[Callable[[Generation], None], ...] = (
    objects.district,
    objects.schools,
    objects.school_defects,
    objects.calendars,
    objects.calendar_defects,
    objects.schedule_structures,
    objects.term_schedules,
    objects.term_defects,
    objects.period_schedules,
    objects.period_defects,
    objects.days,
    objects.day_defects,
    objects.school_months,
    objects.month_defects,
    objects.course_sections,
    objects.section_defects,
    people.people,
    people.enrollments,
    people.person_defects,
    people.enrollment_defects,
)


@dataclass
class District:
    """The generated rows of every object, in catalogue column order."""

    rows: dict[str, list[tuple]] = field(default_factory=lambda: {n: [] for n in catalog.NAMES})
    defects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(catalog.NAMES, 0))

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


def generate(
    scale: str | float = "small",
    year: int = 2024,
    seed: int = 1,
    defects: bool = True,
    district_number: str = "0001",
    years: int = 1,
    movers: bool = False,
) -> District:
    """Build a whole district in memory (about 100 MB at `large`); with `years=2`, the year
    before `year` too (seed.previous); with `movers`, students shared with the districts
    numbered either side (seed.movers)."""
    if years not in (1, 2):
        raise ValueError(f"years={years}: a district is seeded with 1 or 2 school years")
    g = Generation(random.Random(seed), scaled_counts(scale), year, district_number, defects)
    for step in STEPS:
        step(g)
    if movers:
        share_movers(g)
    rows = {name: rows_of(catalog.get(name), g.records[name]) for name in catalog.NAMES}
    defects_planted = dict(g.defects)
    if years == 2:
        for name, earlier in previous_year(rows).items():
            rows[name] += earlier
            if catalog.OBJECTS[name].year_scoped:
                defects_planted[name] *= 2  # each defect is copied a year back
    return District(rows=rows, defects=defects_planted)


def rows_of(obj: catalog.DisObject, records: list[Record]) -> list[tuple]:
    """Records by column name as rows in catalogue column order, stored as the tables hold them."""
    kinds = {f.name: f.kind for f in obj.fields}
    return [tuple(_stored(kinds.get(c), r[c]) for c in obj.columns) for r in records]


def _stored(kind: str | None, value: Any) -> Any:
    if value is None:
        return None
    if kind == "date":
        return iso(value)
    if kind in ("terms", "periods", "codes"):
        return json.dumps(value)
    return value


def write(district: District, using: str = "default", progress: Callable | None = None) -> None:
    """Replace the district edition's DIS tables with `district`, in one transaction."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            for name in reversed(catalog.order()):
                cursor.execute(f"DELETE FROM {catalog.OBJECTS[name].district_table}")
        for name in catalog.order():
            obj = catalog.OBJECTS[name]
            bulk.insert_rows(connection, obj.district_table, obj.columns, district.rows[name])
            if progress:
                progress(name, len(district.rows[name]))
        # Explicit IDs leave PostgreSQL's sequences behind; the next save would collide.
        # (Imported here: a state edition lists this package's commands without the models.)
        from statesync.district.models import DIS_MODELS  # noqa: PLC0415

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(DIS_MODELS.values())):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        # A bulk load leaves PostgreSQL's planner without statistics until autovacuum gets to
        # the tables (never, where it is off): the scoped reads of a resync then joined every
        # enrollment again for each page (a seed-scale differential took 13.7 s, not 2.9).
        with connection.cursor() as cursor:
            for name in catalog.order():
                cursor.execute(f"ANALYZE {catalog.OBJECTS[name].district_table}")


__all__ = [
    "DEFECT_RATES",
    "SCALES",
    "SEED_COUNTS",
    "District",
    "generate",
    "parse_scale",
    "scale_factor",
    "scaled_counts",
    "write",
]
