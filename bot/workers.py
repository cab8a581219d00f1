"""Workers mode (RECAP_JOBS=workers): jobs run in `recap worker` processes, on procrastinate.

Front ends record a job (jobs table) and defer a procrastinate task for it on their platform's
queue; workers on any machine take it, run the same handlers as embedded mode and post through
the platforms' REST APIs. procrastinate gives the queue, retries with backoff, one job per video
at a time (a lock on the video key) and worker heartbeats; a worker that stops beating has its
jobs retried by the others. The jobs table still records each job, so every mode counts and
reports the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import procrastinate
from sqlalchemy import text
from sqlalchemy.engine import Engine

from summarizer.errors import NotConfigured
from summarizer.links import video_key

from .jobs import JobHandlers
from .jobstore import Job, JobStore
from .logs import job_fields
from .retention import keep_tidy
from .runner import Handler
from .store import Store

if TYPE_CHECKING:
    from .health import Health
    from .settings import Settings

log = logging.getLogger(__name__)

RUN = "recap.run"
TRANSCRIBE = "recap.transcribe"
TRANSCRIBE_QUEUE = "transcribe"
ATTEMPTS = 3
SCHEMA_LOCK = 0x72656361  # "reca": one process at a time applies procrastinate's schema


def conninfo(database_url: str) -> str:
    """procrastinate speaks psycopg: the same database as recap's store, as a libpq URL."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise NotConfigured(
            "RECAP_JOBS=workers needs PostgreSQL: set RECAP_DATABASE_URL=postgresql+psycopg://… "
            "(SQLite serves one process: use RECAP_JOBS=embedded there)."
        )
    return f"postgresql://{rest}"


def ensure_schema(engine: Engine) -> None:
    """procrastinate's tables, created once however many processes start together."""
    with engine.begin() as c:
        c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK})
        if c.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            # Straight to psycopg without parameters: the schema's own "%" are not placeholders.
            cursor = c.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(procrastinate.schema.SchemaManager.get_schema())


def queue_app(database_url: str) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
    retry = procrastinate.RetryStrategy(max_attempts=ATTEMPTS - 1, exponential_wait=4)

    @app.task(name=RUN, pass_context=True, retry=retry)
    async def run(context: procrastinate.JobContext, job_id: int) -> None:
        await context.additional_context["worker"].run(job_id, context.job.attempts)

    @app.task(name=TRANSCRIBE, pass_context=True, retry=retry, queue=TRANSCRIBE_QUEUE)
    async def transcribe(context: procrastinate.JobContext, job_id: int) -> None:
        await context.additional_context["worker"].transcribe(job_id)

    return app


def _lock(payload: dict[str, Any]) -> str:
    return f"video:{video_key(payload['url'])}"


class QueueRunner:
    """The front ends' side of workers mode: record the job, defer it, and run nothing here."""

    def __init__(self, jobs: JobStore, app: procrastinate.App) -> None:
        self.jobs = jobs
        self.app = app
        self._open = False

    def bind(self, handler: Handler) -> None:
        pass  # the handlers run in the workers

    async def submit(self, kind: str, platform: str, workspace: str, payload: dict[str, Any]) -> Job:
        job = await asyncio.to_thread(self.jobs.add, kind, platform, workspace, payload, None, 0)
        if not self._open:  # the connection pool is made in the event loop that uses it
            await self.app.open_async()
            self._open = True
        await defer(self.app, RUN, job, queue=platform)
        return job

    async def resume(self, platforms: Iterable[str]) -> int:
        return 0  # procrastinate keeps what is owed

    async def drain(self) -> None:
        pass

    async def shutdown(self, grace_s: float) -> None:
        if self._open:
            await self.app.close_async()
            self._open = False


async def defer(app: procrastinate.App, task: str, job: Job, queue: str) -> None:
    # One job per video at a time: the others wait for it, then find the transcript stored.
    await app.configure_task(task, queue=queue, lock=_lock(job.payload)).defer_async(job_id=job.id)


class Worker:
    """Runs recap's jobs as procrastinate hands them over, in a `recap worker` process."""

    def __init__(self, handlers: JobHandlers, jobs: JobStore, app: procrastinate.App, transcribes: bool) -> None:
        self.handlers, self.jobs, self.app = handlers, jobs, app
        # A worker that serves the transcribe queue transcribes itself; any other hands videos
        # without captions on to one that does.
        self.transcribes = transcribes
        handlers.hand_off = None if transcribes else self.hand_off

    async def run(self, job_id: int, attempts: int) -> None:
        job = await asyncio.to_thread(self.jobs.get, job_id)
        if job is None or await asyncio.to_thread(self.jobs.status, job_id) not in ("pending", "running"):
            return  # done already: a retry of a job whose reply was delivered
        job = replace(job, final_attempt=attempts + 1 >= ATTEMPTS)
        fields = job_fields(job_id, job.kind, job.payload)
        await asyncio.to_thread(self.jobs.update, job_id, "running")
        log.info("%s job %d started (attempt %d of %d)", job.kind, job_id, attempts + 1, ATTEMPTS, extra=fields)
        try:
            finished = await self.handlers.run(job)
        except Exception as exc:  # procrastinate logs the traceback, and retries unless this was the last attempt
            log.warning("%s job %d failed: %s", job.kind, job_id, type(exc).__name__, extra=fields)
            if job.final_attempt:
                await asyncio.to_thread(self.jobs.update, job_id, "failed")
            raise
        if finished:
            await asyncio.to_thread(self.jobs.update, job_id, "done")
        log.info("%s job %d %s", job.kind, job_id, "done" if finished else "handed on", extra=fields)

    async def transcribe(self, job_id: int) -> None:
        """Make the transcript of a job whose video has no captions, then hand the job back."""
        job = await asyncio.to_thread(self.jobs.get, job_id)
        if job is None or not self.transcribes:
            return
        await self.handlers.transcribe(job)
        await defer(self.app, RUN, job, queue=job.payload["place"]["platform"])

    async def hand_off(self, job: Job) -> None:
        await defer(self.app, TRANSCRIBE, job, queue=TRANSCRIBE_QUEUE)

    async def serve(self, queues: list[str], concurrency: int, stall_s: float, grace_s: float, health: Health) -> None:
        """Work until SIGTERM or SIGINT: then, unready from that moment, finish what runs within
        `grace_s` and stop. A second signal gets the default handling: the drain is not waited for."""
        sweeper = asyncio.create_task(self._retry_stalled(stall_s))
        stopping = False

        def stop() -> None:
            nonlocal stopping
            stopping = True
            health.drain()
            working.cancel()  # procrastinate's graceful stop: no new job, running ones get `grace_s`

        caught = _catch_stop_signals(stop)

        async def work() -> None:
            # procrastinate's worker ends when the database drops its connection mid-fetch (a
            # failover, a restart): start it again, with a growing pause, rather than exit.
            pause = 1.0
            while True:
                try:
                    await self.app.run_worker_async(
                        queues=queues,
                        concurrency=concurrency,
                        additional_context={"worker": self},
                        update_heartbeat_interval=max(stall_s / 6, 0.5),
                        stalled_worker_timeout=stall_s,
                        shutdown_graceful_timeout=grace_s,
                        listen_notify=True,
                        fetch_job_polling_interval=2,
                        install_signal_handlers=not caught,  # where this loop cannot take signals, procrastinate does
                    )
                    return
                except procrastinate.exceptions.ConnectorException:
                    log.warning("the worker lost the database; starting again in %.0f s", pause, exc_info=True)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 30.0)

        working = asyncio.create_task(work(), name="recap-worker")

        async def running() -> str | None:
            return "stopped" if working.done() else None

        health.watch_platform(running)
        try:
            await asyncio.shield(working)
        except asyncio.CancelledError:
            if not stopping:  # cancelled from outside: stop the worker too, then go on being cancelled
                working.cancel()
                await asyncio.gather(working, return_exceptions=True)
                raise
            await asyncio.gather(working, return_exceptions=True)
        finally:
            _release_stop_signals(caught)
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    async def _retry_stalled(self, stall_s: float) -> None:
        """A worker killed mid-job (SIGKILL, a lost machine) stops beating: give its jobs to others."""
        while True:
            await asyncio.sleep(stall_s / 3)
            try:
                for job in await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stall_s):
                    recap_job = job.task_kwargs.get("job_id")
                    extra = {"job": recap_job, "queue": job.queue}
                    log.warning("job %s of a stalled worker is retried", recap_job, extra=extra)
                    await self.app.job_manager.retry_job(job)
            except Exception:
                log.warning("looking for stalled jobs failed", exc_info=True)


async def serve_worker(settings: Settings, queues: list[str] | None) -> None:
    """`recap worker`: built by the composition root, run until SIGTERM."""
    from .app import build_worker
    from .health import Health, whisper_model

    worker, queues, logins = build_worker(settings, queues)
    # A SIGTERM while logging in or connecting (a rollout that changed its mind) is a stop, not a
    # kill: the worker takes no job and exits 0 once started. Worker.serve catches the later ones.
    stop_early = asyncio.Event()
    starting = _catch_stop_signals(stop_early.set)
    health = Health(worker.jobs.engine, "job queue", whisper_model(settings, TRANSCRIBE_QUEUE in queues))
    stop_health = await health.serve(settings.health_port)  # /healthz answers while logging in
    tidying: asyncio.Task[None] | None = None
    try:
        for login in logins:
            await login()
        log.warning("recap worker takes queues %s", ", ".join(queues))
        tidying = asyncio.create_task(keep_tidy(Store(worker.jobs.engine), settings), name="recap-retention")
        async with worker.app.open_async():
            _release_stop_signals(starting)
            if not stop_early.is_set():
                await worker.serve(
                    queues, settings.job_concurrency, settings.stall_seconds, settings.shutdown_grace_seconds, health
                )
    finally:
        _release_stop_signals(starting)
        if tidying is not None:
            tidying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tidying
        await stop_health()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _catch_stop_signals(stop: Callable[[], None]) -> list[signal.Signals]:
    """The first SIGTERM or SIGINT calls `stop`, and a second one gets the default handling again.
    Returns the signals caught: none where this loop cannot take them (Windows, another thread)."""
    loop = asyncio.get_running_loop()
    caught: list[signal.Signals] = []

    def once(sig: signal.Signals) -> None:
        log.warning("%s received: finishing running jobs, then stopping", sig.name)
        _release_stop_signals(caught)
        stop()

    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, once, sig)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        caught.append(sig)
    return caught


def _release_stop_signals(caught: list[signal.Signals]) -> None:
    loop = asyncio.get_running_loop()
    for sig in caught:
        loop.remove_signal_handler(sig)
    caught.clear()
