"""Work a user starts, shared by the pages and the district API: queue it, run it, audit it."""

from __future__ import annotations

from statesync.access import audit
from statesync.district.models import Run, SelectiveSync
from statesync.district.services import selective
from statesync.district.worker.tasks import enqueue_run, enqueue_selective


def start_resync(
    request,
    objects,
    mode: str,
    check_dependencies: bool,
    school_year: int | None = None,
    via: str = "web",
) -> Run:
    """Plan a batch resync for the request's user, queue it for the workers, audit it.

    Raises catalog.PlanError or catalog.UnknownObject for a selection that cannot run.
    """
    run = Run.plan(
        objects,
        mode,
        check_dependencies,
        school_year,
        requested_by=request.user,
        requested_from=via,
    )
    enqueue_run(run.pk)
    audit.record(
        request,
        "resync.start",
        f"run {run.pk}",
        via=via,
        mode=run.mode,
        objects=[ro.object for ro in run.objects_in_order],
    )
    return run


def start_selective_sync(
    request, object_name: str, parsed: selective.ParsedIds, via: str = "web"
) -> SelectiveSync:
    """Record the sync, then run it now (short lists) or in the worker (long ones)."""
    entry = SelectiveSync.objects.create(
        object=object_name,
        requested_by=request.user,
        ids_asked=parsed.ids,
        not_ids=parsed.not_ids,
    )
    audit.record(
        request,
        "selective.sync",
        f"selective sync {entry.pk}",
        via=via,
        object=object_name,
        ids=parsed.ids[:1000],
        count=len(parsed.ids),
    )
    if len(parsed.ids) <= selective.INLINE_LIMIT:
        selective.perform(entry)
    else:
        enqueue_selective(entry.pk)
    return entry
