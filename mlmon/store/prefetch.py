"""Run an iterator one item ahead in a background thread: overlap without unbounded memory.

At most ``depth`` items wait in the queue, plus the one being produced, so memory stays
bounded by a few batches however slow the consumer is. polars and pyarrow release the GIL
while they parse, so the producer really runs beside the consumer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """Yield what ``items`` yields, producing the next items in a background thread.

    Errors raised by the producer are re-raised in the consumer. If the consumer stops early,
    the producer is told to stop and is waited for.

    >>> list(prefetch(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            offer(exc)

    worker = threading.Thread(target=produce, name="mlmon-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
