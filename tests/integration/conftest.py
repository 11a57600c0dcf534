"""Fixtures of the integration tests: real worker processes on the test databases."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from tests.support.workers import Worker, worker_env


@pytest.fixture
def workers(dis, registered, tmp_path, settings):
    """Start workers on the test databases and queue; stop them before the tables are flushed."""
    HUEY.flush()
    started: list[Worker] = []
    mail = tmp_path / "mail"
    env = worker_env(
        STATESYNC_STATE_URL=dis.url,
        STATESYNC_STATE_TOKEN=registered[1],
        STATESYNC_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        STATESYNC_EMAIL_FILE_PATH=str(mail),
    )

    def start() -> Worker:
        worker = Worker(env, tmp_path / f"worker{len(started)}.log").start()
        started.append(worker)
        return worker

    start.mail = mail
    yield start
    for worker in started:
        worker.stop()
    HUEY.flush()
