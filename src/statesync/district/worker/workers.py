"""Running resyncs in workers: one per district at a time, kept alive, resumed after a crash."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from statesync.access.audit import record_by_the_state
from statesync.core import catalog, handoff
from statesync.core.sync.client import StateClient, StateRefused
from statesync.district.models import Origin, Run, RunLock, RunStatus
from statesync.district.services import messages
from statesync.district.services.dis import get_district_number
from statesync.district.services.notify import notify_run_ended
from statesync.district.services.resync import Progress, execute
from statesync.district.services.selective import send_now
from statesync.district.worker.heartbeat import HEARTBEAT_EVERY, Heartbeat

log = logging.getLogger(__name__)


def get_lock_key() -> str:
    """The district whose resyncs exclude each other: its state district number."""
    try:
        return f"district-{get_district_number()}"
    except StateRefused:  # no District record yet: the run will say so when it starts
        return "district-unknown"


class Lease(Heartbeat):
    """A RunLock held by this process (a run's, or the outbox drain's), beaten from a thread
    so slow work never looks dead, and released at the end; `lost` once it was taken over."""

    def __init__(
        self, key: str, owner: str, run: Run | None = None, every: float = HEARTBEAT_EVERY
    ):
        self.run, self.key, self.owner = run, key, owner
        name = f"heartbeat of run {run.pk}" if run is not None else f"heartbeat of {key}"
        super().__init__(self._beat, name=name, every=every)

    @classmethod
    def take(cls, key: str) -> Lease | None:
        """The lock `key` for this process, or None while someone alive holds it."""
        owner = RunLock.claim(key)
        return cls(key, owner) if owner is not None else None

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        RunLock.release(self.key, self.owner)

    def _beat(self) -> bool:
        if not RunLock.beat(self.key, self.owner):
            return False
        if self.run is not None:
            self.run.beat()
        return True


def run_when_free(run_id: int, requeue: Callable[[int], object]) -> str:
    """Run `run_id` if its district is free, else `requeue` it; returns what happened."""
    close_old_connections()
    run = Run.objects.filter(pk=run_id).first()
    if run is None or not run.is_active:
        return "gone"
    ahead = Run.objects.filter(status=RunStatus.QUEUED, pk__lt=run.pk).exists()
    if run.status == RunStatus.QUEUED and ahead:
        return _wait(run, requeue)  # first come, first served
    key = get_lock_key()
    owner = RunLock.claim(key, run)
    if owner is None:
        return _wait(run, requeue)
    run.refresh_from_db()
    if not run.is_active:  # cancelled while we claimed
        RunLock.release(key, owner)
        return "gone"
    with Lease(key, owner, run) as lease:
        execute(run, lease=lease)
    run.refresh_from_db()
    if not run.is_active:
        notify_run_ended(run)
    return run.status


def _wait(run: Run, requeue: Callable[[int], object]) -> str:
    if run.status == RunStatus.QUEUED:
        run.beat()  # a task holds it: housekeeping must not take it for lost
    requeue(run.pk)
    return "waiting"


def run_here(run: Run, poll: float = 1.0, on_progress: Progress | None = None) -> Run:
    """Run in this process (the CLI's --foreground), waiting for the district's lock.

    Interrupted (Ctrl-C) while it waits, the run is cancelled rather than left queued with
    nobody to start it; killed while it waits, housekeeping finds it stalled and queues it for
    a worker. The interrupt is taken between looks at the lock, never inside a database call.
    """
    key = get_lock_key()
    with _interrupt_as_flag() as interrupted:
        while (owner := RunLock.claim(key, run)) is None:
            run.beat()
            if interrupted.wait(poll):
                run.refresh_from_db()
                if run.status == RunStatus.QUEUED:
                    run.cancel("Interrupted while waiting for the district's other run to end.")
                raise KeyboardInterrupt
            run.refresh_from_db()
            if not run.is_active:
                return run
    with Lease(key, owner, run) as lease:
        execute(run, lease=lease, on_progress=on_progress)
    run.refresh_from_db()
    notify_run_ended(run)
    return run


@contextlib.contextmanager
def _interrupt_as_flag() -> Iterator[threading.Event]:
    """Within the block, SIGINT sets the event instead of raising wherever the code is."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted  # only the main thread receives signals
        return
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def take_state_requests(client: StateClient, enqueue: Callable[[int], object]) -> int:
    """Turn the state's pending resync requests into queued runs (each request once)."""
    taken = 0
    for request in client.resync_requests():
        if request.ids:
            taken += send_requested_records(client, request)
            continue
        try:
            run = Run.plan(
                request.objects,
                request.mode,
                request.check_dependencies,
                school_year=request.school_year,
                requested_from="state",
            )
        except (catalog.PlanError, catalog.UnknownObject) as exc:  # waits at the state, said
            log.warning("the state's resync request %s cannot run here: %s", request.id, exc)
            continue
        try:
            claimed = client.claim_resync_request(request.id, run.pk)
        except BaseException:  # unclaimed, the request stays the state's: no run of our own
            run.delete()
            raise
        if claimed:
            Run.objects.filter(pk=run.pk).update(
                message=f"Requested by the state ({request.requested_by})."
            )
            record_state_request(run, request.id, request.requested_by)
            messages.record_request(request, run.pk)
            enqueue(run.pk)
            taken += 1
        else:  # another worker took it first
            run.delete()
    return taken


def send_requested_records(client: StateClient, request: handoff.ResyncRequestItem) -> int:
    """The state's Data Tool asked for records now: claimed, sent at once (parents first),
    recorded and audited as the state's request. 1 when this worker took it."""
    name, ids = request.objects[0], list(request.ids or ())
    if not client.claim_resync_request(request.id, None):
        return 0
    done = send_now(name, ids, client, (Origin.REQUEST, request.id))
    record_by_the_state(
        "selective.sync",
        f"state request {request.id}",
        object=name,
        ids=ids,
        synced=done.synced,
        rejected=sorted(done.rejected),
        not_found=done.not_found,
        requested_by=request.requested_by,
    )
    return 1


def record_state_request(run: Run, request_id: int, requested_by: str) -> None:
    """Audit a run the state asked for as the work it starts, by the state."""
    record_by_the_state(
        "resync.start",
        f"run {run.pk}",
        mode=run.mode,
        objects=[ro.object for ro in run.objects_in_order],
        state_request=request_id,
        requested_by=requested_by,
    )


def orphaned_runs() -> list[Run]:
    """Runs marked running whose worker stopped beating (killed, powered off)."""
    stale = timezone.now() - settings.STALE_AFTER
    return list(
        Run.objects.filter(status=RunStatus.RUNNING).exclude(heartbeat_at__gte=stale).order_by("pk")
    )


def stalled_runs() -> list[Run]:
    """Queued runs no worker task has looked at for settings.STALE_AFTER: their task was lost (never
    queued, queueing failed, the process waiting for them died)."""
    stale = timezone.now() - settings.STALE_AFTER
    never_seen = Q(heartbeat_at__isnull=True, created_at__lt=stale)
    return list(
        Run.objects.filter(status=RunStatus.QUEUED)
        .filter(never_seen | Q(heartbeat_at__lt=stale))
        .order_by("pk")
    )
