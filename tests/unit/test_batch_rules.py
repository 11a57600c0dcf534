"""The batch rules (closed school years) and the identity rules (cross-district overlaps, which
the identity resolver judges after acceptance) against an in-memory state, as the object rules
are in test_rules.py: no database, no ingest code."""

from __future__ import annotations

import datetime as dt
import sys

from statesync.core import catalog, wire
from statesync.core.wire import RuleCode
from statesync.state import rules
from statesync.state.rules import closedyears
from statesync.state.rules.closedyears import no_change_in_a_closed_year  # noqa: F401
from statesync.state.rules.registry import Registry, batch_rule
from tests.unit.test_rules import FakeLookups, record, world

ENROLLMENT = catalog.get("Enrollment")
CALENDAR = catalog.get("Calendar")


def people_with_state_id() -> dict:
    tables = world()
    tables["PersonIdentity"][1]["state_id"] = "1000000016"
    return tables


def test_a_primary_enrollment_overlapping_another_districts_is_rejected_and_kept_to_record():
    elsewhere = {"1000000016": [(7, "0002", 40, dt.date(2023, 9, 1), None)]}
    lookups = FakeLookups(people_with_state_id(), elsewhere=elsewhere)
    enrollment = record("Enrollment", person_id=1)
    verdicts, batch = rules.judge_identity(lookups, ENROLLMENT, [enrollment])
    [error] = verdicts.errors[enrollment.id]
    assert error.code == RuleCode.OVERLAP
    assert "in district 0002 from 2023-09-01 to on" in error.message
    assert len(batch.to_record) == 1  # the conflict, for the resolver to write


def test_the_batch_itself_does_not_judge_overlaps_the_resolver_does():
    # Overlaps need the people's state IDs, which the resolver settles after the batch.
    elsewhere = {"1000000016": [(7, "0002", 40, dt.date(2023, 9, 1), None)]}
    lookups = FakeLookups(people_with_state_id(), elsewhere=elsewhere)
    enrollment = record("Enrollment", person_id=1)
    batch = rules.Batch(ENROLLMENT, [enrollment])
    assert rules.judge(lookups, ENROLLMENT, [enrollment], batch).errors == {}
    assert batch.to_record == []


def test_no_other_district_means_nothing_to_overlap_and_nothing_to_record():
    lookups = FakeLookups(people_with_state_id(), elsewhere=None)
    enrollment = record("Enrollment", person_id=1)
    verdicts, batch = rules.judge_identity(lookups, ENROLLMENT, [enrollment])
    assert verdicts.errors == {}
    assert batch.to_record == []


def test_spans_that_do_not_meet_are_no_overlap():
    elsewhere = {"1000000016": [(7, "0002", 40, dt.date(2022, 9, 1), dt.date(2023, 6, 1))]}
    lookups = FakeLookups(people_with_state_id(), elsewhere=elsewhere)
    enrollment = record("Enrollment", person_id=1)
    assert rules.judge_identity(lookups, ENROLLMENT, [enrollment])[0].errors == {}


def test_a_change_to_a_closed_years_record_is_refused_and_the_same_record_again_is_not():
    calendar = record("Calendar")
    held = {calendar.id: (b"old digest", 3, 2024)}
    batch = rules.Batch(CALENDAR, [calendar], held=held, years={calendar.id: 2024}, closed={2024})
    [error] = rules.judge(FakeLookups(world()), CALENDAR, [calendar], batch).errors[calendar.id]
    assert error.code == RuleCode.YEAR_CLOSED and "2023-2024 is closed" in error.message
    unchanged = {calendar.id: (wire.digest(calendar), 3, 2024)}
    again = rules.Batch(CALENDAR, [calendar], held=unchanged, years=batch.years, closed={2024})
    assert rules.judge(FakeLookups(world()), CALENDAR, [calendar], again).errors == {}


def test_deleting_a_school_with_a_closed_years_calendar_under_it_is_refused():
    school = catalog.get("School")
    tables = world()
    for name, rows in tables.items():  # the school's calendar and all under it: 2023-2024
        if catalog.get(name).year_scoped:
            rows[1].setdefault(catalog.YEAR_FIELD, 2024)
    batch = rules.Batch(school, [], deletes=[1], closed={2024})
    verdicts = rules.judge(FakeLookups(tables), school, [], batch)
    assert batch.allowed_deletes() == [] and batch.refused_deletes == {1}
    assert "School 1 has Calendar records of a closed year under it" in (
        verdicts.errors[1][0].message
    )
    open_year = rules.Batch(school, [], deletes=[1], closed={2023})
    rules.judge(FakeLookups(tables), school, [], open_year)
    assert open_year.allowed_deletes() == [1]


def test_decode_failures_are_judged_as_format_errors():
    failure = wire.DecodeFailure(9, "expected str, got int", "name")
    school = catalog.get("School")
    batch = rules.Batch(school, [], failures=[failure])
    [error] = rules.judge(FakeLookups(world()), school, [], batch).errors[9]
    assert (error.code, error.field) == (RuleCode.FORMAT, "name")


def test_the_registry_holds_each_modules_own_rules_in_written_order():
    assert [r.__name__ for r in rules.RULES.for_batch(ENROLLMENT)] == [
        "no_change_in_a_closed_year",
        "no_delete_in_a_closed_year",
    ]
    identity = rules.RULES.for_identity(ENROLLMENT)
    assert [r.__name__ for r in identity] == ["overlapping_primary_enrollments"]
    assert rules.RULES.for_identity(CALENDAR) == []
    assert [r.__name__ for r in rules.RULES.for_batch(CALENDAR)] == [
        "no_change_in_a_closed_year",
        "no_delete_in_a_closed_year",
    ]


@batch_rule()
def _a_rule_of_this_module(ctx, batch, verdicts):  # collected from this module only
    verdicts.add(1, RuleCode.RANGE, "x", "judged")


def test_a_rule_module_is_collected_by_name_and_owns_only_the_rules_it_writes():
    # This module imports no_change_in_a_closed_year: it is closedyears', not collected here.
    registry = Registry.collect(sys.modules[__name__])
    assert registry.for_batch(CALENDAR) == [_a_rule_of_this_module]
    assert _a_rule_of_this_module not in rules.RULES.for_batch(CALENDAR)
    both = Registry.collect(closedyears, sys.modules[__name__]).for_batch(CALENDAR)
    assert both == [*rules.RULES.for_batch(CALENDAR), _a_rule_of_this_module]
