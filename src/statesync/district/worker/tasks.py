"""Huey tasks: thin glue between the queue and the district's work (run_huey discovers them)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from statesync.core.sync.client import NotConfigured, StateError
from statesync.district.models import SelectiveSync
from statesync.district.models.selective import MAX_ATTEMPTS
from statesync.district.services import (
    errorlog,
    messages,
    realtime,
    selective,
    statechanges,
    transfers,
    years,
)
from statesync.district.services.dis import state_client
from statesync.district.worker import workers

log = logging.getLogger(__name__)


@db_task()
def run_resync(run_id: int) -> str:
    return workers.run_when_free(run_id, requeue=_requeue)


def _requeue(run_id: int) -> None:
    run_resync.schedule((run_id,), delay=settings.WAIT_POLL)


def enqueue_run(run_id: int) -> bool:
    """Queue a run for the workers; False if the queue cannot be reached now.

    The run is saved either way: housekeeping queues a run no task holds (workers.stalled_runs)
    once the queue is back, so nothing is lost and nothing waits forever.
    """
    return _enqueue(run_resync, run_id, "run")


def enqueue_selective(entry_id: int) -> bool:
    """Queue a selective sync for the workers; False (and housekeeping's) as enqueue_run."""
    return _enqueue(run_selective, entry_id, "selective sync")


def _enqueue(task, pk: int, what: str) -> bool:
    try:
        task(pk)
    except Exception as exc:  # Redis or the queue file: whatever the broker raised
        log.warning("could not queue %s %s (housekeeping will): %s", what, pk, exc)
        return False
    return True


@db_task()
def drain_outbox(backoff: float = 1.0) -> None:
    """Send the outbox until it is empty; while the state is down, try again later, slower.

    One drain at a time, under a lease that lapses when its worker dies (a lock without one,
    as Huey's is, stopped real-time sync for good when a worker was killed mid-drain)."""
    lease = workers.Lease.take(realtime.DRAIN_LOCK)
    if lease is None:
        return  # another drain is at it, and it loops until the outbox is empty
    with lease:
        while not lease.lost:
            result = realtime.drain()
            if result.error:
                delay = min(backoff * 2, 60.0)
                log.warning("real-time sync will retry in %.0f s: %s", delay, result.error)
                drain_outbox.schedule((delay,), delay=delay)
                return
            if result.entries < realtime.DRAIN_LIMIT:
                return


@db_task()
def reclaim_orphans() -> None:
    """Take up work whose worker or task was lost, so nothing waits forever."""
    for run in workers.orphaned_runs():
        log.warning("run %s lost its worker; resuming it from its checkpoints", run.pk)
        enqueue_run(run.pk)
    for run in workers.stalled_runs():
        log.warning("run %s was queued but no task held it; queueing it again", run.pk)
        run.beat()  # looked after again: the next pass must not queue it twice
        enqueue_run(run.pk)
    for entry in SelectiveSync.stalled():
        if entry.attempts >= MAX_ATTEMPTS:
            log.warning(
                "selective sync %s lost its worker %s times; failing it", entry.pk, entry.attempts
            )
            entry.give_up()
        else:
            log.warning("selective sync %s lost its worker; carrying it out again", entry.pk)
            enqueue_selective(entry.pk)


@db_task()
def poll_state_requests() -> int:
    """Run the resyncs the state asked for; returns how many were taken."""
    try:
        with state_client(retries=0) as client:
            return workers.take_state_requests(client, enqueue_run)
    except NotConfigured:
        return 0
    except StateError as exc:
        log.warning("could not ask the state for resync requests: %s", exc)
        return 0


@db_task()
def keep_in_touch() -> None:
    """Take the state's resync requests, tell it where each school year stands, apply what it
    sent down, and hear of records transfers (telling whom they concern)."""
    poll_state_requests.call_local()
    years.report_years_now()
    statechanges.take_state_changes_now()
    transfers.refresh_now()


@db_periodic_task(crontab(minute="*"))
def housekeeping() -> None:
    """Every minute: resume orphaned runs, drain what real-time sync left, keep in touch
    with the state."""
    reclaim_orphans.call_local()
    drain_outbox()
    keep_in_touch.call_local()


@db_periodic_task(crontab(minute="17"))
def prune_error_log() -> int:
    """Every hour: error-log history past its retention goes (errorlog.prune)."""
    return errorlog.prune()


@db_periodic_task(crontab(minute="23"))
def prune_messages() -> tuple[int, int]:
    """Every hour: sent bodies and messages past their age go, and the log says how many
    (messages.prune)."""
    bodies, removed = messages.prune()
    log.info("Message History: removed %s sent bodies and %s messages", bodies, removed)
    return bodies, removed


_started = threading.Lock()
_did_start = False


@on_startup()
def _on_worker_start() -> None:
    global _did_start
    with _started:  # once per process, not once per worker thread
        if _did_start:
            return
        _did_start = True
    reclaim_orphans()
    # A worker killed just before this one started is not stale yet: look again when it is.
    reclaim_orphans.schedule(delay=settings.STALE_AFTER.total_seconds() + 1)
    drain_outbox()
    keep_in_touch()  # a worker just started need not wait for the minute to come round


@db_task()
def run_selective(entry_id: int) -> None:
    entry = SelectiveSync.objects.filter(pk=entry_id, status=SelectiveSync.Status.PENDING).first()
    if entry is not None:
        selective.perform(entry)  # claims it: a second task for the same entry does nothing
