"""Running resyncs in workers: one per district at a time, kept alive, resumed after a crash."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.utils import timezone

from statesync.district.dis import get_district_number
from statesync.district.models import Run, RunLock, RunStatus
from statesync.district.models.locks import STALE_AFTER
from statesync.district.notify import notify_run_ended
from statesync.district.resync import Progress, execute
from statesync.sync.client import StateClient, StateRefused

log = logging.getLogger(__name__)
HEARTBEAT_EVERY = 2.0


def get_lock_key() -> str:
    """The district whose resyncs exclude each other: its state district number."""
    try:
        return f"district-{get_district_number()}"
    except StateRefused:  # no District record yet: the run will say so when it starts
        return "district-unknown"


class Lease:
    """The lock held for a run, beaten from a thread so a slow batch never looks dead."""

    def __init__(self, run: Run, key: str, owner: str, every: float = HEARTBEAT_EVERY):
        self.run, self.key, self.owner, self.every = run, key, owner, every
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run.pk}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        RunLock.release(self.key, self.owner)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                if not RunLock.beat(self.key, self.owner):
                    self.lost = True
                    return
                Run.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())
        except Exception:  # a heartbeat that cannot write makes the run look dead: say why
            log.exception("heartbeat of run %s failed", self.run.pk)
        finally:
            connection.close()  # this thread's own connection


def run_when_free(run_id: int, requeue: Callable[[int], None]) -> str:
    """Run `run_id` if its district is free, else `requeue` it; returns what happened."""
    close_old_connections()
    run = Run.objects.filter(pk=run_id).first()
    if run is None or not run.is_active:
        return "gone"
    ahead = Run.objects.filter(status=RunStatus.QUEUED, pk__lt=run.pk).exists()
    if run.status == RunStatus.QUEUED and ahead:
        requeue(run_id)  # first come, first served
        return "waiting"
    key = get_lock_key()
    owner = RunLock.claim(key, run)
    if owner is None:
        requeue(run_id)
        return "waiting"
    run.refresh_from_db()
    if not run.is_active:  # cancelled while we claimed
        RunLock.release(key, owner)
        return "gone"
    with Lease(run, key, owner) as lease:
        execute(run, lease=lease)
    run.refresh_from_db()
    if not run.is_active:
        notify_run_ended(run)
    return run.status


def run_here(run: Run, poll: float = 1.0, on_progress: Progress | None = None) -> Run:
    """Run in this process (the CLI's --foreground), waiting for the district's lock."""
    key = get_lock_key()
    while (owner := RunLock.claim(key, run)) is None:
        time.sleep(poll)
        run.refresh_from_db()
        if not run.is_active:
            return run
    with Lease(run, key, owner) as lease:
        execute(run, lease=lease, on_progress=on_progress)
    run.refresh_from_db()
    notify_run_ended(run)
    return run


def take_state_requests(client: StateClient, enqueue: Callable[[int], None]) -> int:
    """Turn the state's pending resync requests into queued runs (each request once)."""
    taken = 0
    for request in client.resync_requests():
        run = Run.plan(
            request.objects,
            request.mode,
            request.check_dependencies,
            requested_from="state",
        )
        if client.claim_resync_request(request.id, run.pk):
            Run.objects.filter(pk=run.pk).update(
                message=f"Requested by the state ({request.requested_by})."
            )
            enqueue(run.pk)
            taken += 1
        else:  # another worker took it first
            run.delete()
    return taken


def orphaned_runs() -> list[Run]:
    """Runs marked running whose worker stopped beating (killed, powered off)."""
    stale = timezone.now() - STALE_AFTER
    return list(
        Run.objects.filter(status=RunStatus.RUNNING).exclude(heartbeat_at__gte=stale).order_by("pk")
    )
