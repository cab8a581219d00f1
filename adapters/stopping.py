"""How a chat front end learns that it should stop: SIGTERM (a deploy, `docker stop`, Kubernetes)
or SIGINT (Ctrl-C). The front end then stops taking events, lets the runner drain, and returns, so
the process exits 0 with its jobs finished or handed back in the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event set by the first SIGTERM or SIGINT while the block runs.

    Only the first is caught: a second one gets the default handling again (SIGTERM ends the
    process, SIGINT raises KeyboardInterrupt), so an operator who asks twice is not kept waiting
    for the drain. Nothing is lost either way: unfinished jobs stay in the database, owned by this
    instance, and its restart takes them back at once.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    caught: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.warning("%s received: finishing running jobs, then stopping", sig.name)
        stop.set()
        for s in caught:
            loop.remove_signal_handler(s)

    for sig in SIGNALS:
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or a loop off the main thread
            continue
        caught.append(sig)
    try:
        yield stop
    finally:
        for sig in caught:
            loop.remove_signal_handler(sig)  # False, harmlessly, when the signal came
