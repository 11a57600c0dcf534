"""How big a synthetic district is, and how many of its records carry a planted defect."""

from __future__ import annotations

import argparse

# The product page's counts (docs/DESIGN.md §4), plus the people of a district that size.
SEED_COUNTS: dict[str, int] = {
    "District": 1,
    "School": 194,
    "Calendar": 230,
    "CourseSection": 16557,
    "SchoolMonth": 2140,
    "ScheduleStructure": 264,
    "TermSchedule": 234,
    "PeriodSchedule": 302,
    "Day": 6534,
    "PersonIdentity": 120000,
    "Enrollment": 130000,
}
SCALES: dict[str, float] = {"small": 0.01, "seed": 1.0, "large": 3.62}

# Share of records planted with a defect, per object (at least one each when defects are on).
DEFECT_RATES: dict[str, float] = {
    "School": 0.05,
    "Calendar": 0.01,
    "CourseSection": 0.02,
    "SchoolMonth": 0.01,
    "TermSchedule": 0.02,
    "PeriodSchedule": 0.02,
    "Day": 0.005,
    "PersonIdentity": 0.004,
    "Enrollment": 0.004,
}


def parse_scale(value: str) -> str | int:
    """A scale as the command line gives it: a named scale, or a number of records (≥ 1000)."""
    if value in SCALES:
        return value
    if value.isascii() and value.isdigit() and int(value) >= 1000:
        return int(value)
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a scale: use {', '.join(SCALES)} or a number of records (≥ 1000)"
    )


def scale_factor(scale: str | float) -> float:
    """A named scale's factor, or a number of records (e.g. 100000) turned into one."""
    if isinstance(scale, int | float):
        return scale / sum(SEED_COUNTS.values())
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return SCALES[scale]


def scaled_counts(scale: str | float) -> dict[str, int]:
    """Record counts for a scale; `seed` is exactly the product page."""
    factor = scale_factor(scale)
    counts = {name: max(1, round(n * factor)) for name, n in SEED_COUNTS.items()}
    counts["District"] = 1
    # A district worth looking at even when small: a dozen schools, each with a calendar, a
    # structure and a period schedule, and a few of the rest.
    counts["School"] = max(counts["School"], 12)
    counts["Calendar"] = max(counts["Calendar"], counts["School"] + 2)
    counts["ScheduleStructure"] = max(counts["ScheduleStructure"], counts["Calendar"] + 1)
    counts["TermSchedule"] = max(counts["TermSchedule"], counts["Calendar"])
    counts["PeriodSchedule"] = max(counts["PeriodSchedule"], counts["ScheduleStructure"] + 2)
    counts["CourseSection"] = max(counts["CourseSection"], 20 * counts["School"])
    counts["Day"] = max(counts["Day"], 20 * counts["Calendar"])
    counts["SchoolMonth"] = max(counts["SchoolMonth"], counts["Calendar"])
    counts["Enrollment"] = max(counts["Enrollment"], counts["PersonIdentity"])
    return counts
