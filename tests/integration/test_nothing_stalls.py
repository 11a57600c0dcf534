"""Nothing waits forever: work whose task or worker was lost is taken up again, or failed
with a reason, by housekeeping (which a starting worker also runs)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils import timezone

from statesync.core.handoff import ResyncRequestItem
from statesync.core.sync.client import StateUnavailable
from statesync.district.models import Run, RunLock, RunStatus, SelectiveSync
from statesync.district.models.selective import MAX_ATTEMPTS
from statesync.district.worker import tasks
from statesync.district.worker.heartbeat import Heartbeat
from statesync.district.worker.workers import get_lock_key, stalled_runs, take_state_requests
from tests.support.locks import write_lock
from tests.support.workers import ended, wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def long_ago() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=1)


def test_a_queued_run_whose_task_was_never_queued_is_run(workers, seeded):
    seeded("small", defects=False)
    run = Run.plan(["District", "School"])  # ...and the process died before enqueue_run
    assert stalled_runs() == []  # not yet: it may be on its way to the queue
    Run.objects.filter(pk=run.pk).update(created_at=long_ago())
    assert stalled_runs() == [run]
    worker = workers()
    run = wait_for(lambda: ended(run), 60, "the stalled run to be run")
    assert run.status == RunStatus.SUCCEEDED, worker.output()
    assert f"run {run.pk} was queued but no task held it" in worker.output()


def test_a_run_whose_queueing_failed_is_saved_and_run_later(admin_client, workers, seeded):
    seeded("small", defects=False)

    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "run_resync", broker_down)
        page = admin_client.post(
            reverse("district:batch"),
            {"objects": ["School"], "mode": "differential", "check_dependencies": "on"},
        )
    assert page.status_code == 302
    run = Run.objects.get()
    assert run.status == RunStatus.QUEUED
    Run.objects.filter(pk=run.pk).update(created_at=long_ago())
    workers()
    assert wait_for(lambda: ended(run), 60, "the run to be run").status == RunStatus.SUCCEEDED


class ClaimFails:
    """A state that hands out a resync request, then goes away before it is claimed."""

    def resync_requests(self) -> list[ResyncRequestItem]:
        return [ResyncRequestItem(7, ["School"], "verify", False, "state-user", "", None)]

    def claim_resync_request(self, request_id: int, run_id: int) -> bool:
        raise StateUnavailable("the state did not answer")


def test_a_request_the_district_could_not_claim_leaves_no_run_behind(seeded):
    seeded("small")
    with pytest.raises(StateUnavailable):
        take_state_requests(ClaimFails(), enqueue=lambda run_id: None)
    assert not Run.objects.exists()  # the request is still the state's, asked again next time


FOREGROUND = ["resync", "--objects", "School", "--foreground"]


def foreground_resync(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "statesync", *FOREGROUND],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def ended_output(cli: subprocess.Popen) -> str:
    """What the process printed, once it has exited (killed, with its output, if it hangs)."""
    try:
        return cli.communicate(timeout=90)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(cli.pid, signal.SIGABRT)  # faulthandler prints where every thread is
        pytest.fail(f"still running after SIGINT:\n{cli.communicate()[0].decode()}")


def waiting_run() -> Run | None:
    """The run a foreground resync made, once it has said it is waiting (its heartbeat)."""
    return Run.objects.filter(status=RunStatus.QUEUED, heartbeat_at__isnull=False).first()


@pytest.fixture
def district_busy(dis, registered, seeded):
    """The district's lock held, and kept alive, by another run: a new run has to wait."""
    seeded("small", defects=False)
    other = Run.plan(["District"])
    key = get_lock_key()
    owner = RunLock.claim(key, other)
    with Heartbeat(lambda: RunLock.beat(key, owner), name="the other run's heartbeat"):
        yield
    RunLock.release(key, owner)


def test_a_foreground_run_interrupted_while_waiting_is_cancelled(district_busy):
    cli = foreground_resync(worker_env())
    run = wait_for(waiting_run, 60, "the foreground run to wait for the district")
    os.killpg(cli.pid, signal.SIGINT)
    output = ended_output(cli)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED, output
    assert run.message == "Interrupted while waiting for the district's other run to end."
    assert f"Interrupted: run {run.pk} is cancelled" in output and "Traceback" not in output


def test_a_foreground_run_killed_while_waiting_is_run_by_a_worker(district_busy, workers):
    cli = foreground_resync(worker_env())
    run = wait_for(waiting_run, 60, "the foreground run to wait for the district")
    os.killpg(cli.pid, signal.SIGKILL)
    ended_output(cli)
    assert run.status == RunStatus.QUEUED  # nobody will start it...
    RunLock.objects.update(run=None, owner="")  # ...the other run ends...
    Run.objects.filter(pk=run.pk).update(heartbeat_at=long_ago())  # ...time passes...
    worker = workers()  # ...and housekeeping takes it up
    run = wait_for(lambda: ended(run), 60, "the abandoned run to be run")
    assert run.status == RunStatus.SUCCEEDED, worker.output()


def pending_selective_sync(count: int) -> SelectiveSync:
    ids = list(range(1, count + 1))
    entry = SelectiveSync.objects.create(object="PersonIdentity", ids_asked=ids)
    assert tasks.enqueue_selective(entry.pk)
    return entry


def test_a_selective_sync_survives_sigkill_of_its_worker(workers, seeded):
    seeded("small", defects=False)
    # Every batch ends by noting the district's last sync in the state's registry: holding that
    # table keeps the first attempt under way, whether its records are accepted or rejected.
    with write_lock("state", "state_district"):
        entry = pending_selective_sync(400)
        first = workers()
        wait_for(lambda: SelectiveSync.objects.get(pk=entry.pk).attempts, 60, "the claim")
        first.kill()
    entry.refresh_from_db()
    assert entry.status == SelectiveSync.Status.PENDING
    assert entry.attempts == 1
    SelectiveSync.objects.filter(pk=entry.pk).update(heartbeat_at=long_ago())
    second = workers()

    def finished() -> SelectiveSync | None:
        entry.refresh_from_db()
        return None if entry.status == SelectiveSync.Status.PENDING else entry

    entry = wait_for(finished, 60, "the selective sync to be carried out again")
    assert entry.status == SelectiveSync.Status.DONE, second.output()
    assert entry.attempts == 2
    assert len(entry.synced) + len(entry.not_found) + len(entry.rejected) == 400


def test_a_selective_sync_whose_worker_keeps_dying_is_failed_with_why():
    entry = SelectiveSync.objects.create(
        object="PersonIdentity", ids_asked=[1], attempts=MAX_ATTEMPTS, heartbeat_at=long_ago()
    )
    tasks.reclaim_orphans.call_local()
    entry.refresh_from_db()
    assert entry.status == SelectiveSync.Status.FAILED
    assert entry.message.startswith(f"The worker stopped {MAX_ATTEMPTS} times")


def test_a_selective_sync_carried_out_by_someone_alive_is_not_taken():
    entry = SelectiveSync.objects.create(
        object="PersonIdentity", ids_asked=[1], heartbeat_at=timezone.now()
    )
    assert not SelectiveSync.stalled().exists()
    assert not entry.claim()


def test_a_selective_sync_taken_over_leaves_the_result_to_its_new_carrier(dis, seeded):
    """A carrier that stalled past STALE_AFTER (alive, not dead) and was taken over must not
    save its result over the new carrier's: each claim is the lease's token."""
    from statesync.district.services import selective

    seeded("small", defects=False)
    first = SelectiveSync.objects.create(object="PersonIdentity", ids_asked=[1, 2])
    assert first.claim()
    SelectiveSync.objects.filter(pk=first.pk).update(heartbeat_at=long_ago())  # it stalled
    second = SelectiveSync.objects.get(pk=first.pk)
    assert second.claim()
    assert not first.beat() and second.beat()
    alive = Heartbeat(lambda: True, name="a heartbeat that was never lost")
    selective._perform(first, None, alive)
    assert SelectiveSync.objects.get(pk=first.pk).status == SelectiveSync.Status.PENDING
    selective._perform(second, None, alive)
    assert SelectiveSync.objects.get(pk=first.pk).status == SelectiveSync.Status.DONE


def test_a_drain_whose_worker_died_mid_drain_does_not_stop_real_time_sync(dis, seeded):
    """The drain's lease lapses with its worker: Huey's lock, which never expired, left the
    outbox unsent for good once a worker was killed holding it."""
    from statesync.district.models import OutboxEntry
    from statesync.district.services import realtime

    seeded("small", defects=False)
    OutboxEntry.objects.create(object="School", record_id=1)
    RunLock.objects.create(key=realtime.DRAIN_LOCK, owner="dead", heartbeat_at=timezone.now())
    tasks.drain_outbox.call_local()  # its holder looks alive yet: the drain is theirs
    assert OutboxEntry.objects.exists()
    RunLock.objects.filter(key=realtime.DRAIN_LOCK).update(heartbeat_at=long_ago())
    tasks.drain_outbox.call_local()
    assert not OutboxEntry.objects.exists()
    assert RunLock.objects.get(key=realtime.DRAIN_LOCK).owner == ""  # released after
