"""What recap counts for Prometheus: one registry, served at /metrics by `bot.health`.

Jobs are counted where every runner hands them over (`JobHandlers.run`, embedded and workers alike),
and what the pipeline did is read from the stages it reports ("probing", "captions", "downloading",
"transcribing", "writing"). That works wherever the core runs: in a thread, in the core's child
processes (whose own counters no scrape would see), or in a worker. A digest job that reported no
"writing" was served from the store; one that wrote but never probed found its transcript stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from summarizer.models import Answer, Digest, Usage
    from summarizer.pipeline import ProgressFn

    from .jobstore import Job

registry = CollectorRegistry()
ProcessCollector(registry=registry)  # CPU, memory, open files of this process
PlatformCollector(registry=registry)
GCCollector(registry=registry)

jobs_started = Counter("recap_jobs_started", "Jobs this process started, by kind.", ["kind"], registry=registry)
jobs_finished = Counter(
    "recap_jobs_finished",
    "Jobs this process stopped working on, by kind, outcome (done, declined: told why not, failed, "
    "retried: fails and goes again, handed_on: to a transcription worker, handed_back: at shutdown, "
    "undeliverable: no longer allowed to post) and the last stage of the pipeline the job reached.",
    ["kind", "outcome", "stage"],
    registry=registry,
)
job_seconds = Histogram(
    "recap_job_seconds",
    "How long jobs took in this process, from start to their outcome.",
    ["kind", "outcome"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600),
    registry=registry,
)
stage_seconds = Histogram(
    "recap_stage_seconds",
    "Time spent in each stage of the pipeline (probing, captions, downloading, transcribing, writing; "
    "answering for questions), measured between the stages it reports.",
    ["kind", "stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=registry,
)
queue_depth = Gauge(
    "recap_queue_depth",
    "Unfinished jobs in the database (all processes' together, sampled at each scrape), by platform and status.",
    ["platform", "status"],
    registry=registry,
)
tokens = Counter(
    "recap_tokens",
    "Tokens a model-backed writer spent on the digests and answers this process made, by kind and type "
    "(input, output, cache_read, cache_creation).",
    ["kind", "type"],
    registry=registry,
)
store_lookups = Counter(
    "recap_store_lookups",
    "Digests and transcripts a digest job needed: served from the store (hit) or made (miss).",
    ["item", "result"],
    registry=registry,
)
ack_seconds = Histogram(
    "recap_ack_seconds",
    "Time from a chat event or command reaching recap to its handler's return, which is what delays "
    "acknowledging it (Slack waits 3 s, Discord 3 s for an interaction), by request.",
    ["request"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
    registry=registry,
)

USAGE_TYPES = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_read": "cache_read_input_tokens",
    "cache_creation": "cache_creation_input_tokens",
}
NO_STAGE = "none"
S = TypeVar("S")
R = TypeVar("R")


class JobWatch:
    """One job's passage, for the metrics: the stages the pipeline reported, how long each took,
    and how the job ended. Stage reports come from the core's thread or from the reader of its
    child processes, the rest from the event loop: a lock keeps them apart."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.outcome = "done"
        self.seen: set[str] = set()
        self.stage = NO_STAGE  # the last stage reached
        self._began = self._since = time.monotonic()
        self._open: str | None = None  # the stage being timed
        self._lock = threading.Lock()

    def follow(self, progress: ProgressFn) -> ProgressFn:
        """`progress`, noting each stage as it passes through."""

        def noted(stage: str, fraction: float | None) -> None:
            self.reached(stage)
            progress(stage, fraction)

        return noted

    def reached(self, stage: str) -> None:
        with self._lock:
            if stage == self._open:
                return
            now = time.monotonic()
            if self._open is not None:
                stage_seconds.labels(self.kind, self._open).observe(now - self._since)
            self._open, self._since, self.stage = stage, now, stage
            self.seen.add(stage)

    def end(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._open is not None:
                stage_seconds.labels(self.kind, self._open).observe(now - self._since)
                self._open = None
            jobs_finished.labels(self.kind, self.outcome, self.stage).inc()
            job_seconds.labels(self.kind, self.outcome).observe(now - self._began)


_watch: contextvars.ContextVar[JobWatch | None] = contextvars.ContextVar("recap_job_watch", default=None)


@contextlib.contextmanager
def watching(kind: str) -> Iterator[JobWatch]:
    """Count a job started, and when the block ends, its outcome (set on the watch) and timings."""
    watch = JobWatch(kind)
    jobs_started.labels(kind).inc()
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)
        watch.end()


def watched(
    kind: str | None = None,
) -> Callable[[Callable[[S, Job], Awaitable[R]]], Callable[[S, Job], Awaitable[R]]]:
    """A job handler, counted: started, then done, failed (retried, when another attempt follows),
    handed on (it returned False), handed back (cancelled at shutdown), or what the handler said.
    `kind`: what to count it as, when not the job's own kind (a digest job's transcription)."""

    def decorate(method: Callable[[S, Job], Awaitable[R]]) -> Callable[[S, Job], Awaitable[R]]:
        @functools.wraps(method)
        async def counted(self: S, job: Job) -> R:
            with watching(kind or job.kind) as watch:
                try:
                    result = await method(self, job)
                except asyncio.CancelledError:
                    watch.outcome = "handed_back"
                    raise
                except Exception:
                    watch.outcome = "failed" if job.final_attempt else "retried"
                    raise
                if result is False:
                    watch.outcome = "handed_on"
                return result

        return counted

    return decorate


def followed(progress: ProgressFn) -> ProgressFn:
    """The pipeline's progress callback for the job in hand, its stages noted for the metrics."""
    watch = _watch.get()
    return progress if watch is None else watch.follow(progress)


def reached(stage: str) -> None:
    """A stage of the job in hand that the pipeline does not report itself (answering)."""
    if (watch := _watch.get()) is not None:
        watch.reached(stage)


def declined() -> None:
    """The job in hand ended with a message saying why not: too long, unavailable, no speech…"""
    ended("declined")


def undeliverable() -> None:
    """The job in hand may no longer post where it was asked (removed from the channel)."""
    ended("undeliverable")


def ended(outcome: str) -> None:
    if (watch := _watch.get()) is not None:
        watch.outcome = outcome


def digest_made(digest: Digest) -> None:
    """What a digest job's pipeline reported tells what came from the store and what it spent."""
    watch = _watch.get()
    if watch is None:
        return
    if "writing" not in watch.seen:
        store_lookups.labels("digest", "hit").inc()
        return
    store_lookups.labels("digest", "miss").inc()
    store_lookups.labels("transcript", "miss" if "probing" in watch.seen else "hit").inc()
    spent(watch.kind, digest.usage)


def transcript_made() -> None:
    """A transcription job's transcript: made, or found stored (another job made it meanwhile)."""
    watch = _watch.get()
    if watch is not None:
        store_lookups.labels("transcript", "miss" if "probing" in watch.seen else "hit").inc()


def answered(answer: Answer) -> None:
    """Answers are never stored: what one says it spent, it spent now."""
    if (watch := _watch.get()) is not None:
        spent(watch.kind, answer.usage)


def spent(kind: str, usage: Usage | None) -> None:
    if usage is None:
        return
    for name, field in USAGE_TYPES.items():
        if n := getattr(usage, field):
            tokens.labels(kind, name).inc(n)


@contextlib.contextmanager
def acknowledging(request: str) -> Iterator[None]:
    began = time.monotonic()
    try:
        yield
    finally:
        ack_seconds.labels(request).observe(time.monotonic() - began)


def sample_queue_depth(engine: Engine) -> dict[tuple[str, str], int]:
    """Unfinished jobs by platform and status, from the jobs table (blocking: run it off the loop)."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from .jobstore import UNFINISHED
    from .tables import JobRow

    query = (
        select(JobRow.platform, JobRow.status, func.count())
        .where(col(JobRow.status).in_(UNFINISHED))
        .group_by(col(JobRow.platform), col(JobRow.status))
    )
    with Session(engine) as s:
        return {(platform, status): n for platform, status, n in s.exec(query)}


_shown: set[tuple[str, str]] = set()


def show_queue_depth(depth: dict[tuple[str, str], int] | None) -> None:
    """Set the gauge to a fresh sample: a queue once shown reads 0 when empty rather than vanishing.
    None (the database did not answer) leaves no stale number behind."""
    if depth is None:
        queue_depth.clear()
        return
    for key in _shown - depth.keys():
        queue_depth.labels(*key).set(0)
    for key, n in depth.items():
        queue_depth.labels(*key).set(n)
    _shown.update(depth)
