"""Processes sharing a database never run each other's jobs: jobs carry their platform, an owner and
a lease; a restart takes its own back at once, anyone else only after the lease ran out. Real
SQLite and PostgreSQL, the real runner; the handler is the test's, to hold a job mid-way."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.jobstore import Job, JobStore
from bot.runner import InProcessRunner
from bot.tables import now


class Clock:
    def __init__(self) -> None:
        self.at = now()

    def __call__(self):
        return self.at


def runner(store, instance: str, clock: Clock, ran: list[tuple[str, int]], gate: asyncio.Event | None = None):
    r = InProcessRunner(JobStore(store, clock), instance, lease_s=60)

    async def handle(job: Job) -> bool:
        ran.append((instance, job.id))
        if gate is not None:
            await gate.wait()
        return True

    r.bind(handle)
    return r


def owe(store, clock: Clock, platform: str, owner: str | None) -> Job:
    """A job accepted by a process that died before finishing it."""
    return JobStore(store, clock).add("digest", platform, "W1", {"n": 1}, owner, lease_s=60)


async def test_a_process_resumes_only_the_jobs_of_the_platforms_it_serves(store):
    clock, ran = Clock(), []
    slack_job = owe(store, clock, "slack", "host/slack")
    discord_job = owe(store, clock, "discord", "host/discord")
    discord = runner(store, "host", clock, ran)
    assert await discord.resume(["discord"]) == 1
    await discord.drain()
    assert ran == [("host", discord_job.id)]
    assert JobStore(store).status(slack_job.id) == "pending"  # the Slack process's, untouched


async def test_a_restart_takes_its_own_jobs_back_at_once_and_others_wait_for_the_lease(store):
    clock, ran = Clock(), []
    job = owe(store, clock, "slack", "a/slack")
    other = runner(store, "b", clock, ran)
    assert await other.resume(["slack"]) == 0  # a's lease is fresh: a may still be running it
    restarted = runner(store, "a", clock, ran)
    assert await restarted.resume(["slack"]) == 1
    await restarted.drain()
    assert ran == [("a", job.id)] and JobStore(store).status(job.id) == "done"


async def test_a_dead_owners_job_is_taken_over_after_its_lease_and_run_once(store):
    clock, ran = Clock(), []
    job = owe(store, clock, "slack", "a/slack")
    clock.at += timedelta(seconds=61)  # a stopped beating a minute ago
    first, second = runner(store, "b", clock, ran), runner(store, "c", clock, ran)
    taken = await asyncio.gather(first.resume(["slack"]), second.resume(["slack"]))
    assert sorted(taken) == [0, 1]  # one conditional UPDATE wins; the other sees it taken
    await asyncio.gather(first.drain(), second.drain())
    assert len(ran) == 1 and ran[0][1] == job.id


async def test_shutdown_hands_unfinished_jobs_back_for_the_next_process(store):
    clock, ran, gate = Clock(), [], asyncio.Event()
    leaving = runner(store, "a", clock, ran, gate)
    await leaving.resume(["slack"])
    job = await leaving.submit("digest", "slack", "W1", {"n": 2})
    while not ran:  # the job has started and now waits on the gate
        await asyncio.sleep(0)
    await leaving.shutdown(grace_s=0)
    assert JobStore(store).status(job.id) == "running"  # not done, not failed: owed

    successor = runner(store, "b", clock, ran)  # another host, the same moment: no lease to wait out
    assert await successor.resume(["slack"]) == 1
    await successor.drain()
    assert ran == [("a", job.id), ("b", job.id)] and JobStore(store).status(job.id) == "done"
