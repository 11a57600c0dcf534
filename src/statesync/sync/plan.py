"""From a selection of objects to a queued run: which objects, in which order."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from statesync import catalog
from statesync.district.models import Mode, Run, RunObject, SchoolYear


class PlanError(ValueError):
    """A selection that cannot be run; the message says why."""


def plan_objects(selected: Iterable[str], check_dependencies: bool) -> list[str]:
    """The objects a run processes, parents before children."""
    names = catalog.parse_names(selected)
    if not names:
        raise PlanError("Select at least one object to resync.")
    return catalog.with_dependencies(names) if check_dependencies else catalog.ordered(names)


def create_run(
    selected: Iterable[str],
    mode: str = Mode.DIFFERENTIAL,
    check_dependencies: bool = False,
    school_year: int | None = None,
    requested_by=None,
    requested_from: str = "cli",
) -> Run:
    """A queued run of the planned objects, each with its own (empty) result row."""
    if mode not in Mode.values:
        raise PlanError(f"mode {mode!r} is not one of {', '.join(Mode.values)}")
    objects = plan_objects(selected, check_dependencies)
    with transaction.atomic():
        run = Run.objects.create(
            mode=mode,
            school_year=school_year or SchoolYear.current(),
            check_dependencies=check_dependencies,
            requested_by=requested_by,
            requested_from=requested_from,
        )
        RunObject.objects.bulk_create(
            RunObject(run=run, object=name, position=i) for i, name in enumerate(objects)
        )
    return run
