"""Each object's own rules (docs/DESIGN.md §7), each marked `@rule("Object")`.

What the catalogue declares (field shapes, code sets, parents, natural keys) is checked in
`fields`; what is here needs more than one field or record: dates inside their calendar,
overlapping spans, plausible values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from statesync.core import catalog
from statesync.core.wire import RuleCode
from statesync.state.ingest.copies import as_date
from statesync.state.models.people import check_digit_holds
from statesync.state.people.matching import Person, could_be
from statesync.state.rules.context import Lookups, Verdicts
from statesync.state.rules.fields import show
from statesync.state.rules.registry import rule

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


# Helpers shared by object rules -------------------------------------------------------------


def _dates_in(
    verdicts: Verdicts,
    record_id: int,
    start: dt.date | None,
    end: dt.date | None,
    bounds: tuple[dt.date, dt.date] | None,
    what: str,
    field_prefix: str = "",
) -> None:
    """E-RANGE unless start ≤ end and both lie within `bounds` (when bounds are known)."""
    if start and end and end < start:
        verdicts.add(
            record_id,
            RuleCode.RANGE,
            f"{field_prefix}end_date",
            f"{what} ends {end.isoformat()}, before it starts {start.isoformat()}",
        )
    if bounds is None:
        return
    low, high = bounds
    for name, verb, value in (("start_date", "starts", start), ("end_date", "ends", end)):
        if value and not low <= value <= high:
            verdicts.add(
                record_id,
                RuleCode.RANGE,
                field_prefix + name,
                f"{what} {verb} {value.isoformat()}, outside {low.isoformat()}..{high.isoformat()}",
            )


def _calendar_bounds(ctx: Lookups, ids: Iterable[int]) -> dict[int, tuple[dt.date, dt.date]]:
    rows = ctx.fetch(catalog.get(catalog.YEAR_ANCHOR), ids, ("start_date", "end_date"))
    bounds = {k: (as_date(a), as_date(b)) for k, (a, b) in rows.items()}
    return {k: (a, b) for k, (a, b) in bounds.items() if a and b}


def _overlaps(spans: list[tuple[dt.date, dt.date, Any]]) -> list[tuple[Any, Any]]:
    """Pairs (later, earlier) of spans that overlap; spans are (start, end or None, tag)."""
    found = []
    ordered = sorted(spans, key=lambda s: (s[0], s[1] or dt.date.max))
    latest_end, latest_tag = None, None
    for start, end, tag in ordered:
        if latest_end is not None and start <= latest_end:
            found.append((tag, latest_tag))
        if latest_end is None or (end or dt.date.max) > latest_end:
            latest_end, latest_tag = end or dt.date.max, tag
    return found


# Object rules -------------------------------------------------------------------------------


@rule("District")
def district_is_the_tokens(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    for r in records:
        if r.state_district_number and r.state_district_number != ctx.tenant_number:
            verdicts.add(
                r.id,
                RuleCode.CODE,
                "state_district_number",
                f"State District Number {show(r.state_district_number)} is not this district's "
                f"number ({ctx.tenant_number})",
            )


@rule("School")
def school_grades_and_numbers(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    order = {g: i for i, g in enumerate(catalog.GRADES)}
    for r in records:
        if (
            r.grade_low in order
            and r.grade_high in order
            and order[r.grade_low] > order[r.grade_high]
        ):
            verdicts.add(
                r.id,
                RuleCode.RANGE,
                "grade_high",
                f"Grade High {r.grade_high!r} is below Grade Low {r.grade_low!r}",
            )


@rule("Calendar")
def calendar_in_school_year(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    for r in records:
        bounds: tuple[dt.date, dt.date] | None = None
        if r.school_year is not None:
            if not 2000 <= r.school_year <= 2100:
                verdicts.add(
                    r.id,
                    RuleCode.RANGE,
                    "school_year",
                    f"School Year {r.school_year} is not plausible (2000-2100)",
                )
            else:
                first, last = catalog.school_years(r.school_year)
                bounds = (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
        _dates_in(verdicts, r.id, r.start_date, r.end_date, bounds, "calendar")


@rule("CourseSection")
def course_codes_and_sizes(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    for r in records:
        code = r.state_course_code
        if (
            code
            and len(code) == 5
            and code.isascii()
            and code.isdigit()
            and code[:2] not in catalog.COURSE_SUBJECT_AREAS
        ):
            verdicts.add(
                r.id,
                RuleCode.CODE,
                "state_course_code",
                f"State Course Code {code!r} has subject area {code[:2]!r}, which is not in the "
                "state's course code set (01-23)",
            )
        if r.section_number is not None and r.section_number < 1:
            verdicts.add(
                r.id,
                RuleCode.RANGE,
                "section_number",
                f"Section Number {r.section_number} is below 1",
            )
        if r.max_students is not None and not 1 <= r.max_students <= 1000:
            verdicts.add(
                r.id,
                RuleCode.RANGE,
                "max_students",
                f"Max Students {r.max_students} is outside 1..1000",
            )


@rule("SchoolMonth")
def months_tile_calendar(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    bounds = _calendar_bounds(ctx, (r.calendar_id for r in records))
    for r in records:
        _dates_in(
            verdicts, r.id, r.start_date, r.end_date, bounds.get(r.calendar_id), "school month"
        )
    _no_overlap(ctx, "SchoolMonth", "calendar_id", records, verdicts, "school month")


def _no_overlap(
    ctx: Lookups,
    name: str,
    group: str,
    records: list[Any],
    verdicts: Verdicts,
    what: str,
    only: Callable[[Any], bool] = lambda r: True,
    extra_columns: tuple[str, ...] = (),
) -> None:
    """E-OVERLAP between records of one group (a calendar's months, a person's enrollments)."""
    candidates = [r for r in records if r.start_date and not verdicts.rejected(r.id) and only(r)]
    if not candidates:
        return
    batch_ids = {r.id for r in records}
    spans: dict[Any, list] = defaultdict(list)
    stored = ctx.fetch_by(
        catalog.get(name),
        group,
        [getattr(r, group) for r in candidates],
        (group, "start_date", "end_date", *extra_columns),
    )
    for row in stored:
        record_id, key, start, end = row[:4]
        if record_id not in batch_ids and only(dict(zip(extra_columns, row[4:], strict=True))):
            spans[key].append((as_date(start), as_date(end), record_id))
    for r in candidates:
        spans[getattr(r, group)].append((r.start_date, r.end_date, r.id))
    for items in spans.values():
        for later, earlier in _overlaps(items):
            # Blame the batch's record: the stored one was judged already.
            blamed, other = (later, earlier) if later in batch_ids else (earlier, later)
            if blamed in batch_ids and not verdicts.rejected(blamed):
                verdicts.add(
                    blamed, RuleCode.OVERLAP, "start_date", f"{what} overlaps {name} {other}"
                )


@rule("TermSchedule")
def terms_tile_calendar(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    structures = ctx.fetch(
        catalog.get("ScheduleStructure"), (r.structure_id for r in records), ("calendar_id",)
    )
    bounds = _calendar_bounds(ctx, (v[0] for v in structures.values()))
    for r in records:
        calendar = structures.get(r.structure_id, (None,))[0]
        spans = []
        for term in r.terms or ():
            label = f"term {term.seq}"
            before = len(verdicts.errors.get(r.id, ()))
            _dates_in(
                verdicts,
                r.id,
                term.start_date,
                term.end_date,
                bounds.get(calendar),
                label,
                "terms.",
            )
            if len(verdicts.errors.get(r.id, ())) == before:
                spans.append((term.start_date, term.end_date, term.seq))
        for later, earlier in _overlaps(spans):
            verdicts.add(r.id, RuleCode.OVERLAP, "terms", f"term {later} overlaps term {earlier}")


@rule("PeriodSchedule")
def periods_are_times(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    for r in records:
        for period in r.periods or ():
            bad = [t for t in (period.start_time, period.end_time) if not _TIME.fullmatch(t)]
            if bad:
                verdicts.add(
                    r.id,
                    RuleCode.FORMAT,
                    "periods",
                    f"period {period.seq} time {bad[0]!r} is not HH:MM",
                )
            elif period.end_time <= period.start_time:
                verdicts.add(
                    r.id,
                    RuleCode.RANGE,
                    "periods",
                    f"period {period.seq} ends {period.end_time}, not after it starts "
                    f"{period.start_time}",
                )


@rule("Day")
def days_in_calendar(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    bounds = _calendar_bounds(ctx, (r.calendar_id for r in records))
    for r in records:
        span = bounds.get(r.calendar_id)
        if r.date and span and not span[0] <= r.date <= span[1]:
            verdicts.add(
                r.id,
                RuleCode.RANGE,
                "date",
                f"day {r.date.isoformat()} is outside its calendar "
                f"({span[0].isoformat()}..{span[1].isoformat()})",
            )


@rule("PersonIdentity")
def person_plausible(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    today = dt.date.today()
    for r in records:
        if r.birth_date and not today.replace(year=today.year - 100) <= r.birth_date <= today:
            verdicts.add(
                r.id,
                RuleCode.RANGE,
                "birth_date",
                f"Birth Date {r.birth_date.isoformat()} is not plausible (more than 100 years "
                "ago or in the future)",
            )


@rule("PersonIdentity")
def state_ids_belong(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    """A state ID is the state's to give and proves nothing by itself: one sent must be well
    typed, one the state issued, and — on a record not linked to a state ID yet — sent with
    an identity that could be the one the state holds for it (the same, or alike enough to
    be held for Person Matching). The message says nothing of that other identity."""
    sent = [r for r in records if r.state_id and not verdicts.rejected(r.id)]
    typed = []
    for r in sent:
        if check_digit_holds(r.state_id):
            typed.append(r)
        else:
            verdicts.add(
                r.id,
                RuleCode.FORMAT,
                "state_id",
                f"State ID {r.state_id!r} fails its check digit (mistyped?); send the state ID "
                "the state gave, or none and the state gives one",
            )
    linked = ctx.fetch(catalog.get(catalog.PERSON), (r.id for r in typed), ["state_id"])
    # A record whose copy holds the state ID it sends was given it by the state: nothing to ask.
    typed = [r for r in typed if linked.get(r.id, ("",))[0] != r.state_id]
    holders = ctx.state_people(r.state_id for r in typed)
    for r in typed:
        holder = holders.get(r.state_id)
        if holder is None:
            verdicts.add(
                r.id,
                RuleCode.STATE_ID,
                "state_id",
                f"State ID {r.state_id!r} was never issued by the state; send none and the "
                "state gives one (or matches the person to the state ID they have)",
            )
        elif not linked.get(r.id, ("",))[0] and could_be(Person.of_record(r), holder) is None:
            verdicts.add(
                r.id,
                RuleCode.IDENTITY,
                "state_id",
                f"State ID {r.state_id!r} belongs to a student whose name, birth date and "
                "gender at the state are not these; send this student's own state ID, or none "
                "and the state matches the student",
            )


@rule("Enrollment")
def enrollment_dates(ctx: Lookups, records: list[Any], verdicts: Verdicts) -> None:
    bounds = _calendar_bounds(ctx, (r.calendar_id for r in records))
    for r in records:
        span = bounds.get(r.calendar_id)
        _dates_in(verdicts, r.id, r.start_date, r.end_date, None, "enrollment")
        if r.start_date and span and not span[0] <= r.start_date <= span[1]:
            verdicts.add(
                r.id,
                RuleCode.RANGE,
                "start_date",
                f"enrollment starts {r.start_date.isoformat()}, outside its calendar "
                f"({span[0].isoformat()}..{span[1].isoformat()})",
            )
    _no_overlap(
        ctx,
        "Enrollment",
        "person_id",
        records,
        verdicts,
        "primary enrollment",
        only=lambda r: (r["service_type"] if isinstance(r, dict) else r.service_type) == "P",
        extra_columns=("service_type",),
    )
