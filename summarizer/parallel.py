"""Work on a stream of items in a few threads, results handed back in the stream's order.

For transcribing windows of audio side by side (transcriber.py): CTranslate2 releases the GIL, so
two windows on two single-threaded workers keep two cores busy, where one window on two threads
leaves them waiting on each other at every decoding step (BENCHMARKS.md, "Transcription").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(work: Callable[[T], R], items: Iterable[T], workers: int) -> Generator[tuple[T, R], None, None]:
    """(item, work(item)) for each item, in order, with up to `workers` items worked on at once.

    Items are taken from `items` only as workers free up, so at most `workers` are held besides the
    one being handed back: memory stays bounded on an hour of audio. The first exception, from
    `work` or from `items`, is raised here in order; a caller that stops early (an error, a
    refusal after the first window) gets the pending items dropped and waits only for the ones
    already running, which cannot be interrupted.
    """
    if workers <= 1:
        for item in items:
            yield item, work(item)
        return
    source = iter(items)
    running: deque[tuple[T, Future[R]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whisper") as pool:
        try:
            for item in source:
                running.append((item, pool.submit(work, item)))
                if len(running) >= workers:
                    done, future = running.popleft()
                    yield done, future.result()
            while running:
                done, future = running.popleft()
                yield done, future.result()
        finally:
            for _, future in running:
                future.cancel()
            close = getattr(source, "close", None)
            if close is not None:
                close()
