"""Where a job's blocking work runs: the core (yt-dlp, whisper, a writer) behind an async face.

`ThreadCore` runs it in a thread of this process: simple, and right for the command line and
tests. `ProcessCore` runs it in child processes, so that a front end's interpreter is left to
its events: the core's Python work (parsing, ranking, tokenising) holds the interpreter lock for
long stretches, and acknowledgements waiting behind it go past what Slack and Discord allow.
The children build the same services from the same settings through the composition root; the
whisper model loads once per child, never in the front end.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from summarizer.models import Answer, Digest, Transcript, Video
from summarizer.pipeline import ProgressFn

from . import logs
from .chat import Place
from .chatstore import ChatStore
from .services import Services

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from .settings import Settings

# What the children send the front end: (job token, stage, fraction) for that job's listener;
# None stops the reader.
ProgressItem = tuple[int, str, float | None] | None


class Core(Protocol):
    async def digest(self, place: Place, url: str, progress: ProgressFn) -> Digest: ...

    async def transcript(self, place: Place, url: str, progress: ProgressFn) -> tuple[Video, Transcript]: ...

    async def ask(self, place: Place, url: str, question: str, conversation: str) -> Answer: ...


class ThreadCore:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def digest(self, place: Place, url: str, progress: ProgressFn) -> Digest:
        return await asyncio.to_thread(lambda: self.services.for_place(place).digest(url, progress))

    async def transcript(self, place: Place, url: str, progress: ProgressFn) -> tuple[Video, Transcript]:
        return await asyncio.to_thread(lambda: self.services.for_place(place).transcript(url, progress))

    async def ask(self, place: Place, url: str, question: str, conversation: str) -> Answer:
        return await asyncio.to_thread(lambda: self.services.for_place(place).ask(url, question, conversation))


class ProcessCore:
    def __init__(self, settings: Settings, store: ChatStore, processes: int) -> None:
        self.store = store
        context = multiprocessing.get_context("spawn")  # no forked copy of the front end's threads and sockets
        self._progress: Queue[ProgressItem] = context.Queue()
        # The settings travel pickled, secrets and all: the children reach the same database and APIs.
        self._pool = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_start_child, initargs=(settings, self._progress)
        )
        self._listeners: dict[int, ProgressFn] = {}
        self._tokens = itertools.count(1)
        self._reader = threading.Thread(target=self._read_progress, name="recap-core-progress", daemon=True)
        self._reader.start()

    async def digest(self, place: Place, url: str, progress: ProgressFn) -> Digest:
        return await self._call(place, progress, "digest", url)

    async def transcript(self, place: Place, url: str, progress: ProgressFn) -> tuple[Video, Transcript]:
        return await self._call(place, progress, "transcript", url)

    async def ask(self, place: Place, url: str, question: str, conversation: str) -> Answer:
        return await self._call(place, None, "ask", url, question, conversation)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._progress.put(None)

    async def _call(self, place: Place, progress: ProgressFn | None, method: str, *args: Any) -> Any:
        chosen = await asyncio.to_thread(self.store.settings, place)
        token = next(self._tokens)
        if progress is not None:
            self._listeners[token] = progress
        try:
            future = self._pool.submit(_work, token, chosen.writer, chosen.language, method, *args)
            return await asyncio.wrap_future(future)
        finally:
            self._listeners.pop(token, None)

    def _read_progress(self) -> None:
        while (item := self._progress.get()) is not None:
            token, stage, fraction = item
            listener = self._listeners.get(token)
            if listener is not None:
                listener(stage, fraction)


# -- in the child ------------------------------------------------------------------------------


class _Child(TypedDict, total=False):
    services: Services
    progress: Queue[ProgressItem]


_child: _Child = {}


def _start_child(settings: Settings, progress: Queue[ProgressItem]) -> None:
    from .app import build_service, build_services

    # Stopping is the parent's to decide: Ctrl-C or a service manager signals the whole process
    # group, and a child that died mid-job would cost the drain its digest. The parent's death,
    # on the other hand, must not leave a child transcribing for nobody (Linux: PR_SET_PDEATHSIG).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    # A spawned child starts with no logging set up: the same format, level and redaction as the parent.
    logs.configure(settings.log_level, settings.log_format, logs.secrets_of(settings))

    service = build_service(settings)
    _child.update({"services": build_services(settings, service, ChatStore(service.store)), "progress": progress})


def _work(token: int, writer: str | None, language: str | None, method: str, *args: Any) -> Any:
    service = _child["services"].for_choice(writer, language)

    def report(stage: str, fraction: float | None) -> None:
        _child["progress"].put((token, stage, fraction))

    if method == "ask":
        return service.ask(*args)
    return getattr(service, method)(*args, report)


def _die_with_parent() -> None:
    if sys.platform != "linux":
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
