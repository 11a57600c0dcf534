"""A thread that says "still alive" for long work, so housekeeping never takes it for dead."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)
HEARTBEAT_EVERY = 2.0


class Heartbeat:
    """Call `beat()` every `every` seconds until the block ends or `beat()` returns False.

    `lost` is then True: someone else took the work over (its holder looked dead to them), or
    no beat got through for `give_up_after` (half of STALE_AFTER): housekeeping may hand the
    work to another worker soon, so the holder must stop rather than do it twice. A beat that
    fails (the database away a moment) is tried again at the next one, not the end of beating.
    """

    def __init__(
        self,
        beat: Callable[[], bool],
        name: str,
        every: float = HEARTBEAT_EVERY,
        give_up_after: float | None = None,
    ):
        self.beat, self.every = beat, every
        self.give_up_after = (
            settings.STALE_AFTER.total_seconds() / 2 if give_up_after is None else give_up_after
        )
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last_beat = time.monotonic()
        try:
            while not self._stop.wait(self.every):
                try:
                    if not self.beat():
                        self.lost = True
                        return
                    last_beat = time.monotonic()
                except Exception:  # the database away a moment: the next beat tries again
                    log.exception("%s failed", self._thread.name)
                    connection.close()  # a broken connection is opened anew next time
                    if time.monotonic() - last_beat >= self.give_up_after:
                        log.error(
                            "%s: no beat for %.0f s; giving the work up",
                            self._thread.name,
                            self.give_up_after,
                        )
                        self.lost = True
                        return
        finally:
            connection.close()  # this thread's own connection
