"""Real worker processes (Huey consumers) for tests, pointed at the test databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connections


def database_url(alias: str) -> str:
    """A DATABASE_URL for the test database behind `alias`, for another process."""
    conn = connections[alias]
    s = conn.settings_dict
    if conn.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url("default"),
        STATE_DATABASE_URL=database_url("state"),
        ROUTER_DATABASE_URL=database_url("router"),
        PYTHONUNBUFFERED="1",
        STATESYNC_WAIT_POLL="0.5",  # a queued run starts soon after the one before it ends
    )
    env.update(extra)
    return env


class Child:
    """A process of statesync's started by a test, in a process group of its own."""

    process: subprocess.Popen | None = None

    def kill(self) -> None:
        """SIGKILL: no cleanup, as a crash or power loss would leave things."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not gone within 20 s."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Worker(Child):
    """One `statesync worker` process; its output goes to a log file for post-mortems."""

    def __init__(self, env: dict[str, str], log: Path, threads: int = 2):
        self.env, self.log_path, self.threads = env, log, threads
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "statesync", "worker", "--threads", str(self.threads)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.2):
    """Poll until `condition()` is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def ended(run):
    """The run, refreshed, once it has ended (for wait_for); None while it is active."""
    run.refresh_from_db()
    return None if run.is_active else run
