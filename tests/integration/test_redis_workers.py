"""Scaled out on Redis: workers share a queue; districts run side by side; one run per district.

Each district edition has its own database (as deployed); both queue on the machine's Redis.
District A has two workers on one queue, so its second resync finds a free worker and still
waits for the first; district B's resync runs at the same time as A's first.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from statesync.state.models import ApiToken, District, DistrictYear
from tests.conftest import require
from tests.support.editions import DistrictEdition
from tests.support.locks import write_lock
from tests.support.workers import Worker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, databases="__all__")]

REDIS_URL = os.environ.get("STATESYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


class QueuedEdition(DistrictEdition):
    """A district edition on the machine's Redis, with a queue of its own and its workers."""

    def __init__(self, number: str, state_url: str, token: str, folder, queue: str):
        queues = {"STATESYNC_QUEUE_URL": REDIS_URL, "STATESYNC_QUEUE_NAME": queue}
        super().__init__(number, state_url, token, folder, **queues)
        self.workers: list[Worker] = []
        # Its own people: the same seed in two districts would make every student enrolled in
        # both at once (E-OVERLAP across districts).
        seed = ("--random-seed", str(int(number)))
        self.cli("seed", "--scale", "small", "--no-defects", "--district-number", number, *seed)

    def start_worker(self) -> None:
        log = self.folder / f"worker{len(self.workers)}.log"
        self.workers.append(Worker(self.env, log).start())

    def queue_resync(self) -> int:
        return json.loads(self.cli("resync", "--all", "--json"))["run"]

    def run(self, run_id: int) -> dict:
        ((status, started, finished),) = self.sql(
            "SELECT status, started_at, finished_at FROM district_run WHERE id = %s", (run_id,)
        )
        return {"status": status, "started_at": started, "finished_at": finished}

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.drop()


@pytest.mark.slow
def test_two_districts_in_parallel_one_run_per_district(live_server, transactional_db, tmp_path):
    require(redis_available(), f"Redis at {REDIS_URL} is not answering")
    editions = []
    try:
        tag = uuid.uuid4().hex[:8]
        for number in ("0001", "0002"):
            token = District.register(number, f"District {number}").issue_token()
            editions.append(
                QueuedEdition(
                    number, live_server.url, token, tmp_path / number, f"t-{tag}-{number}"
                )
            )
        a, b = editions
        a.start_worker()
        a.start_worker()  # two processes share district A's queue
        b.start_worker()
        # Each worker's first housekeeping writes at the state (its token's last use, its
        # school years): let it, before the lock below stops the state's writers.
        wait_for(
            lambda: (
                DistrictYear.objects.count() == 2
                and not ApiToken.objects.filter(last_used_at__isnull=True).exists()
            ),
            60,
            "the workers' first housekeeping to reach the state",
        )

        # The state's write lock keeps every run that has started from finishing, so "both
        # first runs at once, the second of A waiting" is seen for sure, at any data size.
        with write_lock("state", "state_copy_district"):
            a_first = a.queue_resync()
            a_second = a.queue_resync()
            b_first = b.queue_resync()
            wait_for(
                lambda: a.run(a_first)["status"] == b.run(b_first)["status"] == "running",
                120,
                "both districts' first runs to be running at once",
            )
            assert a.run(a_second)["status"] == "queued"

        for edition, run_id in ((a, a_first), (a, a_second), (b, b_first)):
            wait_for(
                lambda e=edition, r=run_id: e.run(r)["status"] not in ("queued", "running"),
                300,
                f"run {run_id} to end",
            )
            assert edition.run(run_id)["status"] == "succeeded"
        assert a.run(a_second)["started_at"] >= a.run(a_first)["finished_at"]
    finally:
        for edition in editions:
            edition.stop()
