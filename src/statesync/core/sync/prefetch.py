"""Reading ahead: what an iterator yields, fetched on a thread of its own while the caller works
on what came before (pages of digests or rows, the state's pages of changes)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from queue import Full, Queue
from typing import TypeVar

T = TypeVar("T")


def prefetched(
    pages: Iterator[T],
    depth: int = 2,
    on_exit: Callable[[], None] | None = None,
) -> Iterator[T]:
    """What `pages` yields, in order, fetched `depth` ahead on a thread of its own; `on_exit`
    runs on that thread when it stops (to close what it opened there)."""
    queue: Queue[T | BaseException | object] = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        queue.put(page, timeout=0.5)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, who raises it
            queue.put(exc)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()  # a generator's own clean-up, on this thread
            if on_exit is not None:
                on_exit()

    threading.Thread(target=produce, name="prefetch", daemon=True).start()
    try:
        while (page := queue.get()) is not done:
            if isinstance(page, BaseException):
                raise page
            yield page  # type: ignore[misc]
    finally:
        stop.set()
