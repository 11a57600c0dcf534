"""The state's validation rules (DESIGN.md §7). Error codes are stable; messages quote the value.

Rules run on a whole batch at once: every database lookup is one query per batch, never one
per record. `judge()` is the entry point; field rules come from the catalogue, object rules
are registered below with `@rule("Object")`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from statesync import catalog, sqlin
from statesync.wire import Record, RecordError

REQUIRED = "E-REQUIRED"
FORMAT = "E-FORMAT"
CODE = "E-CODE"
RANGE = "E-RANGE"
OVERLAP = "E-OVERLAP"
DUPLICATE = "E-DUPLICATE"
PARENT = "E-PARENT"
CODES = (REQUIRED, FORMAT, CODE, RANGE, OVERLAP, DUPLICATE, PARENT)

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# ASCII: a state number is 0-9, not any script's digits.
_PATTERNS = {
    f.pattern: re.compile(f.pattern, re.ASCII)
    for o in catalog.OBJECTS.values()
    for f in o.fields
    if f.pattern
}


@dataclass
class Verdicts:
    """Errors found so far, by record ID."""

    errors: dict[int, list[RecordError]] = field(default_factory=lambda: defaultdict(list))

    def add(self, record_id: int, code: str, field_name: str, message: str) -> None:
        self.errors[record_id].append(RecordError(code, field_name, message))

    def rejected(self, record_id: int) -> bool:
        return record_id in self.errors


@dataclass
class Context:
    """What rules may look up: the state's accepted copy of one district, in bulk."""

    tenant_id: int
    tenant_number: str
    using: str

    def fetch(self, name: str, ids: Iterable[int], columns: Sequence[str]) -> dict[int, tuple]:
        """Accepted records of `name` among `ids`: record_id → values of `columns`."""
        ids = sorted({i for i in ids if i is not None})
        if not ids:
            return {}
        return {row[0]: row[1:] for row in self._select(name, "record_id", ids, columns)}

    def fetch_by(
        self, name: str, key: str, values: Iterable, columns: Sequence[str]
    ) -> list[tuple]:
        """Accepted records of `name` whose `key` is in `values`: rows (record_id, *columns)."""
        values = sorted({v for v in values if v is not None})
        return self._select(name, key, values, columns) if values else []

    def _select(self, name: str, key: str, values: list, columns: Sequence[str]) -> list[tuple]:
        table = catalog.OBJECTS[name].state_table
        cols = ", ".join(("record_id", *columns))
        rows: list[tuple] = []
        with connections[self.using].cursor() as cursor:
            for marks, part in sqlin.pieces(values):
                cursor.execute(
                    f"SELECT {cols} FROM {table} WHERE tenant_id = %s AND {key} IN {marks}",
                    [self.tenant_id, *part],
                )
                rows.extend(cursor.fetchall())
        return rows

    def rejections(self, name: str, ids: Iterable[int]) -> dict[int, list[dict]]:
        """Why the state rejected records of `name` among `ids`, where it did."""
        from statesync.state.models import Rejection

        ids = sorted(set(ids))
        found = Rejection.objects.using(self.using).filter(
            district_id=self.tenant_id, object=name, record_id__in=ids
        )
        return dict(found.values_list("record_id", "errors"))


ObjectRule = Callable[[Context, list[Record], Verdicts], None]
_OBJECT_RULES: dict[str, list[ObjectRule]] = defaultdict(list)


def rule(name: str) -> Callable[[ObjectRule], ObjectRule]:
    """Register an object rule for `name`'s batches."""

    def register(func: ObjectRule) -> ObjectRule:
        _OBJECT_RULES[catalog.get(name).name].append(func)
        return func

    return register


def judge(ctx: Context, name: str, records: list[Record]) -> Verdicts:
    """Run every rule of object `name` on `records` and return the errors by record ID."""
    verdicts = Verdicts()
    obj = catalog.get(name)
    for record in records:
        check_fields(obj, record, verdicts)
    check_parents(ctx, obj, records, verdicts)
    for object_rule in _OBJECT_RULES[obj.name]:
        object_rule(ctx, records, verdicts)
    return verdicts


def _show(value: Any) -> str:
    return repr(value.isoformat() if isinstance(value, dt.date) else value)


def check_fields(obj: catalog.DisObject, record: Record, verdicts: Verdicts) -> None:
    """The catalogue's own rules: required, length, pattern and code set of each field."""
    for spec in obj.fields:
        value = getattr(record, spec.name)
        if value is None or value == "" or (spec.is_list and spec.required and value == []):
            if spec.required:
                verdicts.add(record.id, REQUIRED, spec.name, f"{spec.name} is required but missing")
            continue
        if spec.kind == "str":
            if "\x00" in value:  # no database stores it faithfully
                verdicts.add(record.id, FORMAT, spec.name, f"{spec.name} contains a NUL character")
                continue
            if spec.max_length and len(value) > spec.max_length:
                verdicts.add(
                    record.id,
                    FORMAT,
                    spec.name,
                    f"{spec.name} is {len(value)} characters long; the most is {spec.max_length}",
                )
            if spec.pattern and not _PATTERNS[spec.pattern].fullmatch(value):
                verdicts.add(
                    record.id,
                    FORMAT,
                    spec.name,
                    f"{spec.name} {_show(value)} is not {spec.pattern_text}",
                )
            elif spec.codes and value not in spec.codes:
                verdicts.add(record.id, CODE, spec.name, _not_in_code_set(spec, value))
        elif spec.kind == "codes":
            for code in value:
                if code not in spec.codes:
                    verdicts.add(record.id, CODE, spec.name, _not_in_code_set(spec, code))


def _not_in_code_set(spec: catalog.Field, value: str) -> str:
    return f"{spec.name} {_show(value)} is not in the state's code set ({', '.join(spec.codes)})"


def check_parents(
    ctx: Context, obj: catalog.DisObject, records: list[Record], verdicts: Verdicts
) -> None:
    """E-PARENT: every parent must be in the state's accepted copy; say why when it is not."""
    for parent, key in zip(obj.parents, obj.parent_keys, strict=True):
        wanted = [getattr(r, key) for r in records]
        present = ctx.fetch(parent, wanted, ())
        missing = {v for v in wanted if v is not None and v not in present}
        reasons = ctx.rejections(parent, missing) if missing else {}
        for record in records:
            value = getattr(record, key)
            if value is None:
                verdicts.add(record.id, REQUIRED, key, f"{key} is required but missing")
            elif value in missing:
                why = reasons.get(value)
                if why:
                    first = why[0]
                    detail = f"was rejected ({first['code']} {first['field']}: {first['message']})"
                else:
                    detail = "is not at the state"
                verdicts.add(record.id, PARENT, key, f"{parent} {value} {detail}")


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
            RANGE,
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
                RANGE,
                field_prefix + name,
                f"{what} {verb} {value.isoformat()}, outside {low.isoformat()}..{high.isoformat()}",
            )


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _calendar_bounds(ctx: Context, ids: Iterable[int]) -> dict[int, tuple[dt.date, dt.date]]:
    rows = ctx.fetch("Calendar", ids, ("start_date", "end_date"))
    return {k: (_as_date(a), _as_date(b)) for k, (a, b) in rows.items() if a and b}


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


def _duplicates(
    ctx: Context,
    name: str,
    records: list[Record],
    verdicts: Verdicts,
    key: tuple[str, ...],
) -> None:
    """E-DUPLICATE: another record of the district already has this natural key."""
    live = [r for r in records if all(getattr(r, k) not in (None, "") for k in key)]
    if not live:
        return
    owner: dict[tuple, int] = {}
    # What the state holds, except the records this batch replaces.
    batch_ids = {r.id for r in records}
    first = key[0]
    for row in ctx.fetch_by(name, first, [getattr(r, first) for r in live], key):
        if row[0] not in batch_ids:
            owner[tuple(_normal(v) for v in row[1:])] = row[0]
    for record in live:
        value = tuple(_normal(getattr(record, k)) for k in key)
        holder = owner.get(value)
        if holder is not None and holder != record.id:
            shown = ", ".join(f"{k} {_show(getattr(record, k))}" for k in key)
            verdicts.add(
                record.id, DUPLICATE, key[-1], f"{shown} is already used by {name} {holder}"
            )
        elif not verdicts.rejected(record.id):
            owner[value] = record.id


def _normal(value: Any) -> Any:
    return (
        _as_date(value) if isinstance(value, dt.date | str) and _looks_like_date(value) else value
    )


def _looks_like_date(value: Any) -> bool:
    return isinstance(value, dt.date) or (
        len(value) == 10 and value[4:5] == "-" and value[7:8] == "-"
    )


# Object rules -------------------------------------------------------------------------------


@rule("District")
def district_is_the_tokens(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    for r in records:
        if r.state_district_number and r.state_district_number != ctx.tenant_number:
            verdicts.add(
                r.id,
                CODE,
                "state_district_number",
                f"state_district_number {_show(r.state_district_number)} is not this district's "
                f"number ({ctx.tenant_number})",
            )


@rule("School")
def school_grades_and_numbers(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    order = {g: i for i, g in enumerate(catalog.GRADES)}
    for r in records:
        if (
            r.grade_low in order
            and r.grade_high in order
            and order[r.grade_low] > order[r.grade_high]
        ):
            verdicts.add(
                r.id,
                RANGE,
                "grade_high",
                f"grade_high {r.grade_high!r} is below grade_low {r.grade_low!r}",
            )
    _duplicates(ctx, "School", records, verdicts, ("state_school_number",))


@rule("Calendar")
def calendar_in_school_year(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    for r in records:
        bounds = None
        if r.school_year is not None:
            if not 2000 <= r.school_year <= 2100:
                verdicts.add(
                    r.id, RANGE, "school_year", f"school_year {r.school_year} is not plausible"
                )
            else:
                bounds = tuple(
                    dt.date.fromisoformat(d) for d in catalog.school_years(r.school_year)
                )
        _dates_in(verdicts, r.id, r.start_date, r.end_date, bounds, "calendar")


@rule("CourseSection")
def course_codes_and_sizes(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
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
                CODE,
                "state_course_code",
                f"state_course_code {code!r} has subject area {code[:2]!r}, which is not in the "
                "state's course code set (01-23)",
            )
        if r.section_number is not None and r.section_number < 1:
            verdicts.add(
                r.id, RANGE, "section_number", f"section_number {r.section_number} is below 1"
            )
        if r.max_students is not None and not 1 <= r.max_students <= 1000:
            verdicts.add(
                r.id, RANGE, "max_students", f"max_students {r.max_students} is outside 1..1000"
            )
    _duplicates(
        ctx, "CourseSection", records, verdicts, ("calendar_id", "course_number", "section_number")
    )


@rule("SchoolMonth")
def months_tile_calendar(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    bounds = _calendar_bounds(ctx, (r.calendar_id for r in records))
    for r in records:
        _dates_in(
            verdicts, r.id, r.start_date, r.end_date, bounds.get(r.calendar_id), "school month"
        )
    _no_overlap(ctx, "SchoolMonth", "calendar_id", records, verdicts, "school month")


def _no_overlap(
    ctx: Context,
    name: str,
    group: str,
    records: list[Record],
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
        name,
        group,
        [getattr(r, group) for r in candidates],
        (group, "start_date", "end_date", *extra_columns),
    )
    for row in stored:
        record_id, key, start, end = row[:4]
        if record_id not in batch_ids and only(dict(zip(extra_columns, row[4:], strict=True))):
            spans[key].append((_as_date(start), _as_date(end), record_id))
    for r in candidates:
        spans[getattr(r, group)].append((r.start_date, r.end_date, r.id))
    for items in spans.values():
        for later, earlier in _overlaps(items):
            # Blame the batch's record: the stored one was judged already.
            blamed, other = (later, earlier) if later in batch_ids else (earlier, later)
            if blamed in batch_ids and not verdicts.rejected(blamed):
                verdicts.add(blamed, OVERLAP, "start_date", f"{what} overlaps {name} {other}")


@rule("TermSchedule")
def terms_tile_calendar(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    structures = ctx.fetch("ScheduleStructure", (r.structure_id for r in records), ("calendar_id",))
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
            verdicts.add(r.id, OVERLAP, "terms", f"term {later} overlaps term {earlier}")


@rule("PeriodSchedule")
def periods_are_times(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    for r in records:
        for period in r.periods or ():
            bad = [t for t in (period.start_time, period.end_time) if not _TIME.fullmatch(t)]
            if bad:
                verdicts.add(
                    r.id, FORMAT, "periods", f"period {period.seq} time {bad[0]!r} is not HH:MM"
                )
            elif period.end_time <= period.start_time:
                verdicts.add(
                    r.id,
                    RANGE,
                    "periods",
                    f"period {period.seq} ends {period.end_time}, not after it starts "
                    f"{period.start_time}",
                )


@rule("Day")
def days_in_calendar(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    bounds = _calendar_bounds(ctx, (r.calendar_id for r in records))
    for r in records:
        span = bounds.get(r.calendar_id)
        if r.date and span and not span[0] <= r.date <= span[1]:
            verdicts.add(
                r.id,
                RANGE,
                "date",
                f"day {r.date.isoformat()} is outside its calendar "
                f"({span[0].isoformat()}..{span[1].isoformat()})",
            )
    _duplicates(ctx, "Day", records, verdicts, ("calendar_id", "date"))


@rule("PersonIdentity")
def person_plausible(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    today = dt.date.today()
    for r in records:
        if r.birth_date and not today.replace(year=today.year - 100) <= r.birth_date <= today:
            verdicts.add(
                r.id,
                RANGE,
                "birth_date",
                f"birth_date {r.birth_date.isoformat()} is not plausible (more than 100 years "
                "ago or in the future)",
            )
    _duplicates(ctx, "PersonIdentity", records, verdicts, ("state_id",))


@rule("Enrollment")
def enrollment_dates(ctx: Context, records: list[Record], verdicts: Verdicts) -> None:
    bounds = _calendar_bounds(ctx, (r.calendar_id for r in records))
    for r in records:
        span = bounds.get(r.calendar_id)
        _dates_in(verdicts, r.id, r.start_date, r.end_date, None, "enrollment")
        if r.start_date and span and not span[0] <= r.start_date <= span[1]:
            verdicts.add(
                r.id,
                RANGE,
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
