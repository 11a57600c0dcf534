"""Runs in real worker processes (Huey consumers): lifecycle, queueing, cancel, crash recovery."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model

from statesync.district.models import (
    Difference,
    Notification,
    Run,
    RunObject,
    RunStatus,
    dis_model,
)
from statesync.district.worker.tasks import enqueue_run
from statesync.district.worker.workers import run_here
from tests.support.locks import write_lock
from tests.support.workers import ended, wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def progress_of(run: Run, name: str) -> int:
    return RunObject.objects.get(run=run, object=name).processed


def test_worker_runs_the_queued_run_and_notifies_its_starter(workers, seeded):
    seeded("small")
    users = get_user_model()
    starter = users.objects.create_user("clerk", "clerk@example.org", "pw")
    bystander = users.objects.create_user("other", "other@example.org", "pw")
    run = Run.plan(["District", "School", "Calendar"], requested_by=starter)
    assert run.status == RunStatus.QUEUED
    enqueue_run(run.pk)
    worker = workers()
    run = wait_for(lambda: ended(run), 60, "the run to end")
    assert run.status == RunStatus.COMPLETED_WITH_ERRORS, worker.output()
    assert run.started_at and run.finished_at and run.heartbeat_at

    # The worker notifies just after it marks the run ended: wait for that, not the end.
    note = wait_for(
        lambda: Notification.objects.filter(user=starter).first(), 30, "the notification"
    )
    assert note.run == run
    assert "Completed with errors" in note.title
    assert "School: Processed: 12 Errors: 1" in note.body
    assert Notification.unread_count(starter) == 1
    assert not Notification.objects.filter(user=bystander).exists()

    # ...and e-mails just after it notifies: wait for the message too.
    def mail_to_starter() -> str:
        sent = "\n".join(p.read_text() for p in workers.mail.glob("*.log"))
        return sent if "To: clerk@example.org" in sent else ""

    sent = wait_for(mail_to_starter, 30, "the e-mail to the run's starter")
    assert "School: Processed: 12 Errors: 1" in sent
    assert f"/district/errors/?run={run.pk}" in sent


@contextmanager
def two_runs_one_under_way(workers, seeded) -> Iterator[tuple[Run, Run]]:
    """A run under way in a worker and a short one queued behind it, for as long as the block
    lasts: the state's write lock is held meanwhile, so the first run cannot finish."""
    seeded(25_000, defects=False, state_ids=True)
    first = Run.plan(["District", "PersonIdentity"])
    second = Run.plan(["District"])
    with write_lock("state", "state_copy_personidentity"):
        enqueue_run(first.pk)
        enqueue_run(second.pk)
        workers()
        wait_for(lambda: Run.objects.get(pk=first.pk).status == "running", 60, "the first run")
        first.refresh_from_db()
        yield first, second


def test_second_run_waits_its_turn_then_runs(workers, seeded):
    with two_runs_one_under_way(workers, seeded) as (first, second):
        second.refresh_from_db()
        assert second.status == RunStatus.QUEUED
        assert second.queue_position == 1
    wait_for(lambda: ended(second), 120, "the second run to end")
    first.refresh_from_db()
    assert first.status == second.status == RunStatus.SUCCEEDED
    assert second.started_at >= first.finished_at


def test_cancel_a_running_and_a_queued_run(workers, seeded):
    with two_runs_one_under_way(workers, seeded) as (running, waiting):
        assert waiting.request_cancel()
        assert waiting.status == RunStatus.CANCELLED
        assert running.request_cancel()
    running = wait_for(lambda: ended(running), 60, "the cancel to take effect")
    assert running.status == RunStatus.CANCELLED
    people = RunObject.objects.get(run=running, object="PersonIdentity")
    assert people.processed < dis_model("PersonIdentity").objects.count()
    waiting.refresh_from_db()
    assert waiting.started_at is None
    # What it sent is consistent: a new run finishes the job.
    finished = run_here(Run.plan(["District", "PersonIdentity"]))
    assert finished.status == RunStatus.SUCCEEDED


@pytest.mark.slow
def test_run_survives_sigkill_of_its_worker(workers, seeded):
    # Long enough to kill mid-run; its people have their state IDs, as after go-live.
    people = seeded(60_000, defects=False, state_ids=True).counts()["PersonIdentity"]
    run = Run.plan(["District", "School", "PersonIdentity", "Calendar", "Enrollment"])
    enqueue_run(run.pk)
    first = workers()
    wait_for(lambda: progress_of(run, "PersonIdentity") > 10_000, 90, "the run to be under way")
    first.kill()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    killed_at = progress_of(run, "PersonIdentity")

    second = workers()
    run = wait_for(lambda: ended(run), 180, "the resumed run to end")
    assert run.status == RunStatus.SUCCEEDED, second.output()
    person = RunObject.objects.get(run=run, object="PersonIdentity")
    assert person.processed == people
    assert person.checkpoint is not None
    assert killed_at < people

    objects = [o["object"] for o in run.result()["objects"]]
    verify = run_here(Run.plan(objects, "verify"))
    assert verify.status == RunStatus.SUCCEEDED
    assert not Difference.objects.filter(run=verify).exists()
    assert all(o["inserted"] + o["updated"] + o["deleted"] == 0 for o in verify.result()["objects"])
