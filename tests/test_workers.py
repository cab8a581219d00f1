"""Workers mode for real: procrastinate on the PostgreSQL at 127.0.0.1:5432, `recap worker`
processes, slack_sdk posting to the fake Slack Web API, the media server and whisper behind them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from adapters.links import slack_links
from bot.app import build_assistant
from bot.chat import Incoming, Place
from bot.settings import Settings
from tests.support import fake_slack as fs


@pytest.fixture
def pg(postgres_url):
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:  # every test starts from an empty database, procrastinate's tables too
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def slack():
    with fs.FakeSlack() as fake:
        yield fake


def settings(pg: str, slack, **kw) -> Settings:
    return Settings(
        _env_file=None,
        database_url=pg,
        jobs="workers",
        allow_private_networks=True,
        slack_bot_token=fs.BOT_TOKEN,
        slack_api_url=slack.api_url,
        **kw,
    )


def worker_env(pg: str, slack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAP_", "SLACK_", "DISCORD_", "ANTHROPIC_"))}
    return {
        **env,
        "RECAP_DATABASE_URL": pg,
        "RECAP_JOBS": "workers",
        "RECAP_ALLOW_PRIVATE_NETWORKS": "true",
        "RECAP_HEALTH_PORT": "0",  # several workers at once: no port to collide on
        "SLACK_BOT_TOKEN": fs.BOT_TOKEN,
        "RECAP_SLACK_API_URL": slack.api_url,
        **extra,
    }


def start_worker(pg: str, slack, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli.commands", "worker", *args],
        env=worker_env(pg, slack, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def pasted(url: str, mid: str) -> Incoming:
    return Incoming(
        place=Place("slack", fs.TEAM_ID, fs.CHANNEL_ID),
        message_id=mid,
        user=fs.USER_ID,
        text=url,
        links=tuple(slack_links(url)),
        mentions_bot=True,
    )


def digests_posted(slack) -> list[dict]:
    """Final digests, each posted as a new message in its thread (an edit would notify nobody)."""
    return [
        c
        for c in slack.calls_to("chat.postMessage", ok=True)
        if c.params.get("blocks") and c.params["blocks"][0].get("type") == "header"
    ]


async def job_statuses(pg: str, until: list[str], tries: int = 200) -> list[str]:
    """The jobs table's statuses once they read `until`, or as they are after `tries` looks (bounded)."""
    engine = create_engine(pg)
    try:
        for _ in range(tries):
            with engine.connect() as c:
                statuses = list(c.execute(text("SELECT status FROM jobs ORDER BY id")).scalars())
            if statuses == until:
                break
            await asyncio.sleep(0.05)
        return statuses
    finally:
        engine.dispose()


async def first_digest(slack, timeout: float = 90) -> dict:
    """Wait for the digest's post; the posts before it are progress messages."""
    seen = 1
    while True:
        calls = await slack.wait_for_async("chat.postMessage", seen, timeout=timeout)
        if found := digests_posted(slack):
            return found[0].params
        seen = len(calls) + 1


def test_workers_mode_refuses_sqlite_clearly(tmp_path, capsys, monkeypatch):
    from adapters.cli.commands import main

    monkeypatch.setenv("RECAP_JOBS", "workers")
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'w.sqlite3'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["worker"]) == 1
    assert "needs PostgreSQL" in capsys.readouterr().err


async def test_a_front_end_defers_and_a_worker_replies_in_the_thread(pg, slack, media_server):
    assistant = build_assistant(settings(pg, slack))
    from bot.app import build_rest_chats

    assistant.add_chat("slack", build_rest_chats(settings(pg, slack))[0]["slack"])
    await assistant.on_message(pasted(media_server.url("site/bees.html"), "1700002000.000100"))
    assert slack.calls_to("chat.postMessage") == []  # the front end ran nothing itself
    await assistant.runner.shutdown(0)

    worker = start_worker(pg, slack)
    try:
        done = await first_digest(slack)
        assert "Honey Bees" in done["blocks"][0]["text"]["text"]
        progress, digest = slack.calls_to("chat.postMessage", ok=True)
        assert progress.params["thread_ts"] == digest.params["thread_ts"] == "1700002000.000100"
        await slack.wait_for_async("chat.delete")  # "Watching…" goes just after the digest is there
        assert slack.thread(fs.CHANNEL_ID, "1700002000.000100") == slack.digests(fs.CHANNEL_ID, "1700002000.000100")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0  # a graceful stop


async def test_a_worker_killed_mid_transcription_is_taken_over_and_the_thread_gets_one_digest(pg, slack, media_server):
    assistant = build_assistant(settings(pg, slack))
    await assistant.on_message(pasted(media_server.url("media/lighthouses.opus"), "1700003000.000100"))
    await assistant.runner.shutdown(0)

    first = start_worker(pg, slack, RECAP_STALL_SECONDS="2")
    second = None
    try:
        seen = 1
        while not any("transcribing" in str(c.params) for c in slack.calls_to("chat.update", ok=True)):
            seen = len(await slack.wait_for_async("chat.update", seen, timeout=60)) + 1
        first.send_signal(signal.SIGKILL)  # no goodbye: its heartbeat simply stops
        first.wait(10)
        second = start_worker(pg, slack, RECAP_STALL_SECONDS="2")
        done = await first_digest(slack, timeout=90)
        progress, digest = slack.calls_to("chat.postMessage", ok=True)  # one "Watching…", edited by both…
        assert digest.params == done and digest.params["thread_ts"] == "1700003000.000100"
        await slack.wait_for_async("chat.delete")  # just after the digest is posted
        assert slack.message(fs.CHANNEL_ID, progress.response["ts"]) is None  # …then deleted
        assert len(digests_posted(slack)) == 1
        assert await job_statuses(pg, until=["done"]) == ["done"]  # marked just after the digest is posted
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)


async def test_transcription_goes_to_the_workers_that_take_the_transcribe_queue(pg, slack, media_server):
    assistant = build_assistant(settings(pg, slack))
    await assistant.on_message(pasted(media_server.url("media/lighthouses.opus"), "1700004000.000100"))
    await assistant.runner.shutdown(0)

    chat_worker = start_worker(pg, slack, "--queue", "slack")
    gpu_worker = None
    try:
        seen = 1
        while not any(
            "waiting for a transcription worker" in str(c.params) for c in slack.calls_to("chat.update", ok=True)
        ):
            seen = len(await slack.wait_for_async("chat.update", seen, timeout=60)) + 1
        probes = len(media_server.requests_for("media/lighthouses.opus"))
        gpu_worker = start_worker(pg, slack, "--queue", "transcribe")
        done = await first_digest(slack, timeout=90)
        assert done["blocks"][0]["type"] == "header"
        assert len(media_server.requests_for("media/lighthouses.opus")) > probes  # the audio, fetched once there
        assert len(slack.calls_to("chat.postMessage", ok=True)) == 2 and len(digests_posted(slack)) == 1
    finally:
        for proc in (chat_worker, gpu_worker):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(30) == 0


async def test_ten_threads_asking_for_one_video_at_once_cost_one_download_in_workers_mode(pg, slack, media_server):
    assistant = build_assistant(settings(pg, slack))
    url = media_server.url("media/lighthouses.opus")
    for i in range(10):
        await assistant.on_message(replace(pasted(url, f"1700005000.00010{i}"), user=f"U{i}"))  # ten people
    await assistant.runner.shutdown(0)

    worker = start_worker(pg, slack, RECAP_JOB_CONCURRENCY="4")
    try:
        seen = 1
        while len(digests_posted(slack)) < 10:
            seen = len(await slack.wait_for_async("chat.postMessage", seen, timeout=90)) + 1
        assert len({c.params["thread_ts"] for c in digests_posted(slack)}) == 10  # one digest in each thread
        assert len(media_server.requests_for("media/lighthouses.opus")) <= 2  # one probe, one download
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0


async def test_a_worker_outlives_the_database_dropping_its_connections(pg, slack, media_server):
    """A failover while the worker waits: its pool replaces the dead connections. (A connection cut in
    the middle of a fetch ends procrastinate's worker loop; Worker.serve starts it again. That moment
    cannot be hit on purpose from here.)"""
    worker = start_worker(pg, slack)
    try:
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        name = pg.rsplit("/", 1)[1]
        for _ in range(200):  # bounded: until the worker has registered with procrastinate
            with admin.connect() as c:
                if (
                    c.execute(text("SELECT to_regclass('procrastinate_workers')")).scalar()
                    and c.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar()
                ):
                    break
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            await asyncio.sleep(0.05)
        with admin.connect() as c:  # a failover: every connection of the worker's is cut
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"  # every backend but this one
                    " WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": name},
            )
        admin.dispose()
        assistant = build_assistant(settings(pg, slack))
        await assistant.on_message(pasted(media_server.url("site/bees.html"), "1700006000.000100"))
        await assistant.runner.shutdown(0)
        done = await first_digest(slack)  # the worker took the job after all
        assert done["blocks"][0]["type"] == "header" and worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0


def test_a_worker_stopped_while_it_starts_exits_cleanly(pg, slack):
    """A rollout may SIGTERM a worker that is still connecting: a stop, never a kill by the signal."""
    worker = start_worker(pg, slack)
    try:
        assert worker.stderr is not None
        for line in worker.stderr:  # logged once logged in, before the job queue is connected
            if b"recap worker takes queues" in line:
                break
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0, worker.stderr.read().decode()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
