"""A run through outages: the state down past the client's retries, or the district's database
connection cut, is waited out and the run goes on from its checkpoints, for up to
settings.OUTAGE_SECONDS (STATESYNC_OUTAGE_MINUTES); a run that cannot go on (the outage lasted
longer, the disk is full) ends failed with the reason, never left "running".

A database away for longer than the run's heartbeat can wait (half of STALE_AFTER) loses the
run's lease instead: housekeeping in a worker resumes the run once the database is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from statesync.core.commands import is_disk_full
from statesync.core.sync.client import StateUnavailable
from statesync.district.models import Run

log = logging.getLogger(__name__)
LONGEST_PAUSE = 30.0  # seconds between two tries while an outage lasts


class CannotGoOn(Exception):
    """The run must end: the outage outlasted its limit, or the disk is full."""


class Lease(Protocol):
    lost: bool


def disk_full(exc: BaseException) -> str:
    return (
        f"The district's database has no room left ({exc}). Free space, then run again: "
        "the run goes on from where it stopped."
    )


def why_it_stopped(exc: BaseException) -> str:
    """What a run that broke on `exc` says: a full disk by name, anything else as internal."""
    if isinstance(exc, DatabaseError) and is_disk_full(exc):
        return disk_full(exc)
    return (
        f"statesync hit an internal error ({exc.__class__.__name__}: {exc}). "
        "Run again; if it repeats, report it with the worker's log."
    )


def through(run: Run, work: Callable[[], None], lease: Lease | None) -> None:
    """`work()`, again after each outage (it resumes from the checkpoints), until it ends."""
    since: float | None = None
    pause = 1.0
    while True:
        try:
            work()
            return
        except StateUnavailable as exc:
            what, error = "the state", str(exc)
        except (OperationalError, InterfaceError) as exc:
            if is_disk_full(exc):
                raise CannotGoOn(disk_full(exc)) from exc
            what, error = "the district's database", str(exc)
            connection.close()  # opened anew at the next query
        since = since if since is not None else time.monotonic()
        waited = time.monotonic() - since
        if waited >= settings.OUTAGE_SECONDS:
            raise CannotGoOn(
                f"Gave up after {waited / 60:.0f} min: {what} stayed unreachable ({error}). "
                "Everything sent before is at the state; run again to go on."
            )
        log.warning("run %s waits for %s (%s); it goes on by itself", run.pk, what, error)
        _say(
            run,
            f"Waiting for {what}, unreachable since {time.strftime('%H:%M:%S')} "
            f"({error}); the run goes on by itself.",
        )
        _pause(pause, lease)
        pause = min(pause * 2, LONGEST_PAUSE)


def _say(run: Run, message: str) -> None:
    """Show the wait on the run (best effort: the database may be what is away)."""
    try:
        Run.objects.filter(pk=run.pk).update(message=message[:2000])
    except DatabaseError:
        connection.close()


def _pause(seconds: float, lease: Lease | None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if lease is not None and lease.lost:
            return  # the journal's next check stops the run
        time.sleep(min(0.2, seconds))


def end_visibly(run: Run, reason: str) -> None:
    """Fail `run` with `reason`; a database that refuses even that (full) is tried again on a
    fresh connection, and what could not be written is logged, not raised."""
    for attempt in range(3):
        try:
            run.fail(reason)
            return
        except DatabaseError:
            connection.close()
            time.sleep(0.5 * (attempt + 1))
    log.error("run %s could not be marked failed: %s", run.pk, reason)
