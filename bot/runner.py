"""The embedded job runner: jobs are written to the database before they start, run as asyncio
tasks (their blocking part in a worker thread), and whatever a restart interrupted is run again
when the next process starts, so a reply recap owes is never lost."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from .chatstore import ChatStore, Job

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[None]]


class InProcessRunner:
    def __init__(self, store: ChatStore, concurrency: int = 2):
        self.store = store
        self._handler: Handler | None = None
        # Transcription takes a core each; more at once only makes every job slower.
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._resumed = False

    def bind(self, handler: Handler) -> None:
        self._handler = handler

    async def submit(self, kind: str, workspace: str, payload: dict) -> Job:
        job = self.store.add_job(kind, workspace, payload)
        self._spawn(job)
        return job

    async def resume(self) -> int:
        """Start again every job an earlier process accepted but did not finish. Once a process:
        a front end that reconnects (Discord's gateway) must not start the same jobs twice."""
        if self._resumed:
            return 0
        self._resumed = True
        jobs = self.store.unfinished_jobs()
        for job in jobs:
            log.info("resuming %s job %d", job.kind, job.id)
            self._spawn(job)
        return len(jobs)

    async def drain(self) -> None:
        """Wait until no job is running (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, job: Job) -> None:
        task = asyncio.create_task(self._run(job), name=f"recap-job-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job) -> None:
        assert self._handler is not None, "bind() a handler before submitting jobs"
        async with self._slots:
            self.store.update_job(job.id, "running")
            try:
                await self._handler(job)
            except asyncio.CancelledError:
                raise  # shutting down: left "running", so the next start resumes it
            except Exception:
                log.exception("%s job %d failed", job.kind, job.id)
                self.store.update_job(job.id, "failed")
            else:
                self.store.update_job(job.id, "done")
