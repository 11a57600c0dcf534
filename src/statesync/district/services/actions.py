"""Work a user starts, shared by the pages and the district API: queue it, run it, audit it."""

from __future__ import annotations

from django.db import transaction

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
    inline = len(parsed.ids) <= selective.INLINE_LIMIT
    fields = {"object": object_name, "ids_asked": parsed.ids, "not_ids": parsed.not_ids}
    # The sync and its audit row are one commit: each commit is a wait a user sees.
    with transaction.atomic():
        if inline:
            entry = SelectiveSync.create_held(requested_by=request.user, **fields)
        else:
            entry = SelectiveSync.objects.create(requested_by=request.user, **fields)
        audit.record(
            request,
            "selective.sync",
            f"selective sync {entry.pk}",
            via=via,
            object=object_name,
            ids=parsed.ids[:1000],
            count=len(parsed.ids),
        )
    if inline:
        selective.perform(entry, held=True)
    else:
        enqueue_selective(entry.pk)
    return entry
