"""Huey tasks: thin glue between the queue and the district's work (run_huey discovers them)."""

from __future__ import annotations

import logging
import threading

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup
from huey.exceptions import TaskLockedException

from statesync.district import realtime, selective, workers
from statesync.district.dis import state_client
from statesync.district.models import SelectiveSync
from statesync.district.models.locks import STALE_AFTER
from statesync.sync.client import NotConfigured, StateError

log = logging.getLogger(__name__)
WAIT_POLL = 2  # seconds between a waiting run's looks at its district's lock


@db_task()
def run_resync(run_id: int) -> str:
    return workers.run_when_free(run_id, requeue=_requeue)


def _requeue(run_id: int) -> None:
    run_resync.schedule((run_id,), delay=WAIT_POLL)


def enqueue_run(run_id: int) -> None:
    """Queue a run for the workers."""
    run_resync(run_id)


@db_task()
def drain_outbox(backoff: float = 1.0) -> None:
    """Send the outbox until it is empty; while the state is down, try again later, slower."""
    try:
        with HUEY.lock_task("outbox-drain"):
            while True:
                result = realtime.drain()
                if result.error:
                    delay = min(backoff * 2, 60.0)
                    log.warning("real-time sync will retry in %.0f s: %s", delay, result.error)
                    drain_outbox.schedule((delay,), delay=delay)
                    return
                if result.entries < realtime.DRAIN_LIMIT:
                    return
    except TaskLockedException:
        pass  # another drain is at it, and it loops until the outbox is empty


@db_task()
def reclaim_orphans() -> None:
    for run in workers.orphaned_runs():
        log.warning("run %s lost its worker; resuming it from its checkpoints", run.pk)
        enqueue_run(run.pk)


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


@db_periodic_task(crontab(minute="*"))
def housekeeping() -> None:
    """Every minute: resume orphaned runs, drain what real-time sync left, ask the state."""
    reclaim_orphans.call_local()
    drain_outbox()
    poll_state_requests()


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
    reclaim_orphans.schedule(delay=STALE_AFTER.total_seconds() + 1)
    drain_outbox()


@db_task()
def run_selective(entry_id: int) -> None:
    entry = SelectiveSync.objects.filter(pk=entry_id, status=SelectiveSync.Status.PENDING).first()
    if entry is not None:
        selective.perform(entry)
