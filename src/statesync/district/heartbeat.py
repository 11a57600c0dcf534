"""A thread that says "still alive" for long work, so housekeeping never takes it for dead."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connection

log = logging.getLogger(__name__)
HEARTBEAT_EVERY = 2.0


class Heartbeat:
    """Call `beat()` every `every` seconds until the block ends or `beat()` returns False.

    `lost` is then True: someone else took the work over (its holder looked dead to them).
    """

    def __init__(self, beat: Callable[[], bool], name: str, every: float = HEARTBEAT_EVERY):
        self.beat, self.every = beat, every
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
        try:
            while not self._stop.wait(self.every):
                if not self.beat():
                    self.lost = True
                    return
        except Exception:  # a heartbeat that cannot write makes the work look dead: say why
            log.exception("%s failed", self._thread.name)
        finally:
            connection.close()  # this thread's own connection
