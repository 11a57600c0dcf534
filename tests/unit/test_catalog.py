import pytest

from statesync.core import catalog


def test_ancestors_of_day_follow_both_parents():
    assert catalog.ancestors({"Day"}) == {
        "District",
        "School",
        "Calendar",
        "ScheduleStructure",
        "PeriodSchedule",
    }


def test_order_puts_every_parent_before_its_children():
    order = catalog.order()
    assert sorted(order) == sorted(catalog.NAMES)
    for name in order:
        for parent in catalog.OBJECTS[name].parents:
            assert order.index(parent) < order.index(name), (parent, name)


def test_enrollment_comes_after_person_and_calendar():
    order = catalog.order()
    assert order.index("Enrollment") > order.index("PersonIdentity")
    assert order.index("Enrollment") > order.index("Calendar")


def test_check_dependencies_adds_ancestors_in_order():
    assert catalog.with_dependencies(["Calendar"]) == ["District", "School", "Calendar"]
    assert catalog.with_dependencies(["Enrollment"]) == [
        "District",
        "School",
        "PersonIdentity",
        "Calendar",
        "Enrollment",
    ]


def test_tree_is_the_product_pages():
    shape = [("  " * n.depth) + n.name for n in catalog.flat_tree()]
    assert shape == [
        "District",
        "  School",
        "    Calendar",
        "      CourseSection",
        "      SchoolMonth",
        "      ScheduleStructure",
        "        TermSchedule",
        "        PeriodSchedule",
        "          Day",
        "  PersonIdentity",
        "    Enrollment",
    ]


def test_subtree_is_what_ticking_a_node_ticks():
    assert catalog.subtree("ScheduleStructure") == [
        "ScheduleStructure",
        "TermSchedule",
        "PeriodSchedule",
        "Day",
    ]
    assert catalog.subtree("Day") == ["Day"]
    assert len(catalog.subtree("District")) == len(catalog.NAMES)


def test_descendants_cover_both_parents():
    assert catalog.descendants("PeriodSchedule") == {"Day"}
    assert catalog.descendants("PersonIdentity") == {"Enrollment"}
    assert "Enrollment" in catalog.descendants("Calendar")


def test_path_to_calendar_follows_the_named_parent():
    assert catalog.path_to("TermSchedule", "Calendar") == [
        "TermSchedule",
        "ScheduleStructure",
        "Calendar",
    ]
    assert catalog.path_to("Enrollment", "Calendar") == ["Enrollment", "Calendar"]
    assert catalog.path_to("PersonIdentity", "Calendar") == []


def test_tables_are_named_for_sql_users():
    assert catalog.get("PersonIdentity").district_table == "district_personidentity"
    assert catalog.get("School").state_table == "state_copy_school"


def test_parse_names_is_case_insensitive_and_names_the_unknown():
    assert catalog.parse_names(["school", " DAY "]) == ["School", "Day"]
    with pytest.raises(catalog.UnknownObject, match="'Student'"):
        catalog.parse_names(["Student"])


def test_school_year_is_its_end_year():
    assert catalog.school_years(2024) == ("2023-07-01", "2024-06-30")
    assert catalog.year_label(2024) == "2023-2024"
