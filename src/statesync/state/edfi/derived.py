"""The objects Ed-Fi does not have, derived at the state from what it does send (docs/EDFI.md).

- a calendar carries its twelve school months (July to June: an Ed-Fi calendar has no dates),
  its schedule structure ("Ed-Fi sessions", primary) and, once the school's sessions of that
  year are held, a term schedule of them, one term a session in date order;
- a bell schedule is a period schedule of its class periods (each period from its first
  meeting's start to its last meeting's end), under the school's latest calendar;
- a calendar date is a day of its calendar, on the school's first bell schedule; instructional
  (and an attendance day) when one of its events is an instructional or make-up day.

Derived records take IDs from the documents they come from, so the same document always
derives the same records, and deleting it deletes them.
"""

from __future__ import annotations

import calendar as months
import datetime as dt
from typing import Any

from statesync.core import catalog, wire
from statesync.state.edfi import descriptors
from statesync.state.edfi import resources as r
from statesync.state.edfi.store import Documents

MONTHS_A_YEAR = 12
INSTRUCTIONAL_EVENTS = ("Instructional day", "Make-up day")
STRUCTURE_NAME = "Ed-Fi sessions"

Record = tuple[str, wire.Record]  # (object, record)


def new_record(obj: str, record_id: int, **fields: Any) -> wire.Record:
    """A statesync record of object `obj`, as the wire's struct holds it."""
    return wire.record_type(obj)(id=record_id, **fields)


def month_id(calendar_pk: int, seq: int) -> int:
    return calendar_pk * 100 + seq


def calendar_parts(docs: Documents, calendar_pk: int, school_id: int, year: int) -> list[Record]:
    """A calendar's school months, schedule structure and (with sessions) term schedule."""
    first = dt.date.fromisoformat(catalog.school_years(year)[0])
    parts: list[Record] = []
    for seq in range(1, MONTHS_A_YEAR + 1):
        month = (first.month + seq - 2) % 12 + 1
        start = dt.date(first.year + (first.month + seq - 2) // 12, month, 1)
        end = start.replace(day=months.monthrange(start.year, start.month)[1])
        parts.append(
            (
                "SchoolMonth",
                new_record(
                    "SchoolMonth",
                    month_id(calendar_pk, seq),
                    calendar_id=calendar_pk,
                    seq=seq,
                    name=months.month_name[month],
                    start_date=start,
                    end_date=end,
                ),
            )
        )
    structure = new_record(
        "ScheduleStructure",
        calendar_pk,
        calendar_id=calendar_pk,
        name=STRUCTURE_NAME,
        is_primary=True,
    )
    parts.append(("ScheduleStructure", structure))
    terms = term_schedule(docs, calendar_pk, school_id, year)
    return parts + ([terms] if terms else [])


def term_schedule(
    docs: Documents,
    calendar_pk: int,
    school_id: int,
    year: int,
    sent: dict[str, Any] | None = None,
    without: str | None = None,
) -> Record | None:
    """The term schedule of a calendar from its school's sessions that year (with `sent`, a
    session being posted; `without`, one being deleted, by name); None when there are none."""
    sessions = {s["sessionName"]: s for s in docs.sessions_of(school_id, year)}
    if sent is not None:
        sessions[sent["sessionName"]] = sent
    sessions.pop(without or "", None)
    if not sessions:
        return None
    ordered = sorted(sessions.values(), key=lambda s: (s["beginDate"], s["sessionName"]))
    terms = [
        wire.Term(
            seq=seq,
            name=s["sessionName"][:60],
            start_date=dt.date.fromisoformat(s["beginDate"]),
            end_date=dt.date.fromisoformat(s["endDate"]),
        )
        for seq, s in enumerate(ordered, 1)
    ]
    record = new_record(
        "TermSchedule", calendar_pk, structure_id=calendar_pk, name="Sessions", terms=terms
    )
    return ("TermSchedule", record)


def period_schedule(docs: Documents, doc_id: int, bell: r.BellSchedule) -> Record | str:
    """A bell schedule as a period schedule, or what it waits for."""
    school_id = bell.school_reference.school_id
    calendars = docs.calendars_of(school_id, None)
    if not calendars:
        return f"calendars: school {school_id} has no calendar held for its bell schedule"
    periods = []
    for seq, item in enumerate(bell.class_periods, 1):
        ref = item.class_period_reference
        period = docs.held("classPeriods", [ref.class_period_name, ref.school_id])
        if period is None:
            return f"classPeriods: {ref.class_period_name!r} of school {ref.school_id} is not held"
        times = (period.body or {}).get("meetingTimes") or [{"startTime": "", "endTime": ""}]
        periods.append(
            wire.Period(
                seq=seq,
                name=ref.class_period_name[:60],
                start_time=times[0]["startTime"][:5],
                end_time=times[-1]["endTime"][:5],
            )
        )
    record = new_record(
        "PeriodSchedule",
        doc_id,
        structure_id=calendars[-1].pk,  # the latest year's calendar: its structure's pk
        name=bell.bell_schedule_name,
        periods=periods,
    )
    return ("PeriodSchedule", record)


def day(docs: Documents, doc_id: int, date: r.CalendarDate, calendar_pk: int) -> Record | str:
    """A calendar date as a day, or what it waits for."""
    school_id = date.calendar_reference.school_id
    bells = docs.bell_schedules_of(school_id)
    if not bells:
        return f"bellSchedules: school {school_id} has none held, and a day needs its periods"
    events = [
        descriptors.code_value(e.calendar_event_descriptor, "CalendarEventDescriptor")
        for e in date.calendar_events
    ]
    instructional = any(e in INSTRUCTIONAL_EVENTS for e in events)
    codes = [descriptors.DESCRIPTORS["CalendarEventDescriptor"][e] for e in events]
    record = new_record(
        "Day",
        doc_id,
        calendar_id=calendar_pk,
        period_schedule_id=bells[0].pk,
        date=date.date,
        instructional=instructional,
        attendance=instructional,
        event_code=next((c for c in codes if c), None),
    )
    return ("Day", record)


def carried(resource: str, pk: int) -> list[tuple[str, int]]:
    """The (object, ID) records a document carries, children before parents (deletion order)."""
    if resource == "calendars":
        months_of = [("SchoolMonth", month_id(pk, s)) for s in range(1, MONTHS_A_YEAR + 1)]
        return [("TermSchedule", pk), ("ScheduleStructure", pk), *months_of, ("Calendar", pk)]
    carrier = {
        "localEducationAgencies": "District",
        "schools": "School",
        "bellSchedules": "PeriodSchedule",
        "calendarDates": "Day",
        "sections": "CourseSection",
        "students": "PersonIdentity",
        "studentSchoolAssociations": "Enrollment",
    }.get(resource)
    return [(carrier, pk)] if carrier else []
