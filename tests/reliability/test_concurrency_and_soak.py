"""Ten batch requests at once for one district, and a bounded soak of everything interleaved."""

from __future__ import annotations

import itertools
import os
import random
import threading
import time

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection
from huey.contrib.djhuey import HUEY

from statesync.access.models import PersonalToken
from statesync.district.models import OutboxEntry, Run, RunStatus, SelectiveSync, dis_model
from statesync.district.services import realtime, selective
from statesync.district.services.resync import execute
from tests.reliability.figures import record
from tests.reliability.test_faults import assert_state_equals_district
from tests.support.workers import Worker, worker_env

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
ALL = ["District", "School", "PersonIdentity", "Calendar", "Enrollment"]


@pytest.mark.slow
def test_ten_simultaneous_batch_requests_run_one_at_a_time(dis, registered, seeded, tmp_path):
    seeded("small", defects=False)
    HUEY.flush()
    user = get_user_model().objects.create_superuser("ops", "ops@example.org", "pw")
    _, secret = PersonalToken.issue(user, "load")
    env = worker_env(STATESYNC_STATE_URL=dis.url, STATESYNC_STATE_TOKEN=registered[1])
    workers = [Worker(env, tmp_path / f"w{i}.log", threads=3).start() for i in range(2)]
    try:
        barrier = threading.Barrier(10)
        answers: list[int] = []

        def ask() -> None:
            barrier.wait()
            response = httpx.post(
                f"{dis.url}/api/district/v1/resync",
                json={"objects": ALL, "mode": "force"},
                headers={"Authorization": f"Bearer {secret}"},
                timeout=30,
            )
            answers.append(response.status_code)

        threads = [threading.Thread(target=ask) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [202] * 10
        record("hostile inputs: simultaneous batch requests", 10)
        most_running = 0
        deadline = time.monotonic() + 240
        while Run.objects.filter(status__in=["queued", "running"]).exists():
            most_running = max(most_running, Run.objects.filter(status="running").count())
            assert time.monotonic() < deadline, "runs did not finish"
            time.sleep(0.05)
        assert most_running == 1
        runs = list(Run.objects.order_by("started_at"))
        assert [r.status for r in runs] == [RunStatus.SUCCEEDED] * 10, [r.message for r in runs]
        for earlier, later in itertools.pairwise(runs):
            assert later.started_at >= earlier.finished_at
    finally:
        for worker in workers:
            worker.stop()
        HUEY.flush()


# Long enough for tens of each action (the counts are printed); STATESYNC_SOAK_SECONDS runs a
# longer soak by hand.
SOAK_SECONDS = float(os.environ.get("STATESYNC_SOAK_SECONDS", 15))


@pytest.mark.slow
def test_soak_saves_sql_resyncs_and_selective_syncs(dis, seeded):
    """A bounded soak of everything at once; then district and state agree exactly."""
    seeded("small", defects=False)
    assert execute(Run.plan(ALL)).status == RunStatus.SUCCEEDED
    rng = random.Random(11)
    person, enrollment = dis_model("PersonIdentity"), dis_model("Enrollment")
    ids = list(person.objects.values_list("pk", flat=True))
    stop = time.monotonic() + SOAK_SECONDS
    stats = {"saves": 0, "sql": 0, "resyncs": 0, "selective": 0, "drains": 0, "deletes": 0}
    errors: list[BaseException] = []

    def drainer() -> None:
        try:
            while time.monotonic() < stop:
                realtime.drain()
                stats["drains"] += 1
                time.sleep(0.2)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            close_old_connections()

    background = threading.Thread(target=drainer, daemon=True)
    background.start()
    while time.monotonic() < stop:
        action = rng.random()
        if action < 0.4:  # saves through the application
            p = person.objects.get(pk=rng.choice(ids))
            p.first_name = f"Soak {rng.randrange(10**6)}"
            p.save()
            stats["saves"] += 1
        elif action < 0.6:  # changes behind the application's back
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE district_personidentity SET last_name = %s WHERE id = %s",
                    [f"Sql {rng.randrange(10**6)}", rng.choice(ids)],
                )
            stats["sql"] += 1
        elif action < 0.65:  # an enrollment deleted through the application
            victim = enrollment.objects.order_by("?").first()
            if victim is not None:
                victim.delete()
                stats["deletes"] += 1
        elif action < 0.85:
            entry = SelectiveSync.objects.create(
                object="PersonIdentity", ids_asked=rng.sample(ids, 5)
            )
            selective.perform(entry)
            stats["selective"] += 1
        else:
            run = execute(Run.plan(["PersonIdentity", "Enrollment"]))
            assert run.status == RunStatus.SUCCEEDED, run.message
            stats["resyncs"] += 1
    background.join(30)
    assert not errors, errors
    realtime.drain()
    assert not OutboxEntry.objects.exists()
    execute(Run.plan(ALL))  # the SQL changes reach the state only by resync
    assert_state_equals_district(ALL)
    for name, value in stats.items():
        record(f"soak: {name}", value)
    assert min(stats["saves"], stats["sql"], stats["resyncs"], stats["selective"]) > 0
