"""The embedded job runner: jobs are written to the database before they start and run as asyncio
tasks in this process (their blocking part in a worker thread). Each is owned under a lease that a
heartbeat keeps ahead, so processes sharing a database never run each other's jobs, a restart
takes its own jobs back at once, and a dead process's jobs are taken over when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from .jobstore import Job, JobStore
from .logs import job_fields

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[bool]]  # False: handed on, not finished here
LEASE_S = 60.0


class Runner(Protocol):
    """Where the assistant's jobs run: in this process (`InProcessRunner`), or deferred to
    `recap worker`s (`workers.QueueRunner`)."""

    jobs: JobStore

    def bind(self, handler: Handler) -> None: ...

    async def submit(self, kind: str, platform: str, workspace: str, payload: dict[str, Any]) -> Job: ...

    async def resume(self, platforms: Iterable[str]) -> int: ...

    async def drain(self) -> None: ...

    async def shutdown(self, grace_s: float) -> None: ...


class InProcessRunner:
    def __init__(self, jobs: JobStore, instance: str, concurrency: int = 2, lease_s: float = LEASE_S) -> None:
        self.jobs = jobs
        # Jobs are owned per platform ("host/slack"): a Slack process restarted on the same host
        # takes its jobs back, and never the Discord process's beside it on the same database.
        self.instance = instance
        self.lease_s = lease_s
        self._handler: Handler | None = None
        # Transcription takes a core each; more at once only makes every job slower.
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._owners: dict[int, str] = {}
        self._platforms: set[str] | None = None  # known once resumed: the chats this process serves
        self._heartbeat: asyncio.Task[None] | None = None

    def bind(self, handler: Handler) -> None:
        self._handler = handler

    def owner(self, platform: str) -> str:
        return f"{self.instance}/{platform}"

    async def submit(self, kind: str, platform: str, workspace: str, payload: dict[str, Any]) -> Job:
        owner = self.owner(platform)
        job = await asyncio.to_thread(self.jobs.add, kind, platform, workspace, payload, owner, self.lease_s)
        self._spawn(job, owner)
        return job

    async def resume(self, platforms: Iterable[str]) -> int:
        """Take and start every unfinished job of `platforms` that is this process's or nobody's
        any more. Once a process: a front end that reconnects must not start the same jobs twice."""
        if self._platforms is not None:
            return 0
        self._platforms = set(platforms)
        return await self._take_over()

    async def drain(self) -> None:
        """Wait until no job is running (tests, a graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def shutdown(self, grace_s: float) -> None:
        """Let running jobs finish for `grace_s`, then hand the rest back: unowned, so the next
        process serving their platform takes them at once instead of after the lease."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), grace_s)
        left = dict(self._owners)
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        for job_id in left:
            await asyncio.to_thread(self.jobs.release, job_id)
        if left:
            log.warning("handed back %d unfinished job(s) for the next process to finish", len(left))

    async def _take_over(self) -> int:
        platforms = self._platforms or set()
        taken = 0
        for platform in platforms:
            owner = self.owner(platform)
            for job in await asyncio.to_thread(self.jobs.takeable, [platform], owner):
                if job.id in self._tasks or not await asyncio.to_thread(self.jobs.take, job.id, owner, self.lease_s):
                    continue
                log.info("resuming %s job %d", job.kind, job.id, extra=job_fields(job.id, job.kind, job.payload))
                self._spawn(job, owner)
                taken += 1
        return taken

    def _spawn(self, job: Job, owner: str) -> None:
        task = asyncio.create_task(self._run(job), name=f"recap-job-{job.id}")
        self._tasks[job.id], self._owners[job.id] = task, owner
        task.add_done_callback(lambda _: (self._tasks.pop(job.id, None), self._owners.pop(job.id, None)))
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="recap-job-heartbeat")

    async def _beat(self) -> None:
        """Keep the leases of running jobs ahead; take over jobs whose owner stopped beating."""
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                for owner in set(self._owners.values()):
                    ids = [i for i, o in self._owners.items() if o == owner]
                    await asyncio.to_thread(self.jobs.renew, ids, owner, self.lease_s)
                if self._platforms:
                    await self._take_over()
            except Exception:  # the database is away for a moment: try again at the next beat
                log.warning("job heartbeat failed", exc_info=True)
            if not self._tasks and not self._platforms:
                return

    async def _run(self, job: Job) -> None:
        assert self._handler is not None, "bind() a handler before submitting jobs"
        fields = job_fields(job.id, job.kind, job.payload)
        async with self._slots:
            await asyncio.to_thread(self.jobs.update, job.id, "running")
            log.info("%s job %d started", job.kind, job.id, extra=fields)
            try:
                finished = await self._handler(job)
            except asyncio.CancelledError:
                raise  # shutting down: left unfinished, for this process's restart or another to take
            except Exception:
                log.exception("%s job %d failed", job.kind, job.id, extra=fields)
                await asyncio.to_thread(self.jobs.update, job.id, "failed")
            else:
                if finished:
                    await asyncio.to_thread(self.jobs.update, job.id, "done")
                log.info("%s job %d %s", job.kind, job.id, "done" if finished else "handed on", extra=fields)
