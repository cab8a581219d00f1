"""/healthz, /readyz and /metrics: every long-running recap process answers them over HTTP.

`recap slack` (HTTP mode and Socket Mode), `recap discord` and `recap worker` run as real processes
against the fake Slack and Discord, SQLite and the PostgreSQL on 127.0.0.1:5432; the tests ask them
what an orchestrator and Prometheus would ask. A database taken away (connections refused, its
sessions ended) makes them unready, and its return ready again; the metrics move when a job runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from adapters.links import slack_links
from bot import metrics
from bot.app import build_assistant
from bot.chat import Incoming, Place
from bot.health import Health, OffLoop
from bot.jobstore import Job
from bot.settings import Settings
from bot.store import Store
from summarizer.models import Usage, Video
from tests.support import fake_discord as fd
from tests.support import fake_slack as fs
from tests.support.databases import DEFAULT_ADMIN_URL
from tests.support.processes import (
    SECRET,
    START_S,
    Recap,
    SocketModeEnd,
    connected,
    discord_env,
    free_port,
    slack_env,
)
from tests.support.values import sample_digest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

JOB_S = 120  # a captioned page: probed, captions read, digest written
T = TypeVar("T")


# -- asking a process ------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    content_type: str
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


async def get(port: int, path: str) -> Reply:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(f"http://127.0.0.1:{port}{path}") as r:
            return Reply(r.status, r.headers.get("Content-Type", ""), await r.text())


async def eventually(ask: Callable[[], Awaitable[T]], ok: Callable[[T], bool], timeout: float, what: str) -> T:
    """Ask until the answer is `ok`, at most `timeout` seconds; a refused connection is no answer."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = answer = await ask()
            if ok(answer):
                return answer
        except (aiohttp.ClientError, TimeoutError) as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}; last: {last}")
        await asyncio.sleep(0.1)


async def ready(port: int, timeout: float = START_S) -> dict:
    return (await eventually(lambda: get(port, "/readyz"), lambda r: r.status == 200, timeout, "ready")).json()


async def unready(port: int, because: str, timeout: float = 30) -> dict:
    reply = await eventually(
        lambda: get(port, "/readyz"), lambda r: r.status == 503 and because in r.body, timeout, f"unready: {because}"
    )
    return reply.json()


def value(page: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`: 0 when there is none."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def scrape(port: int) -> str:
    reply = await get(port, "/metrics")
    assert reply.status == 200 and reply.content_type.startswith("text/plain"), reply
    return reply.body


async def assert_alive_with_metrics(port: int) -> None:
    health = await get(port, "/healthz")
    assert (health.status, health.body) == (200, "ok")
    page = await scrape(port)
    for family in ("recap_jobs_started_total", "recap_stage_seconds", "recap_queue_depth", "recap_tokens_total"):
        assert f"# TYPE {family} " in page, family
    assert value(page, "process_resident_memory_bytes") > 0


# -- the database, taken away and given back -------------------------------------------------------


class Database:
    """A PostgreSQL database of this test's own, which the test can close to everyone and reopen."""

    def __init__(self, admin_url: str) -> None:
        self.name = f"recap_health_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def sql(self, *statements: str) -> None:
        with self.admin.connect() as c:
            for statement in statements:
                c.execute(text(statement))

    def take_away(self) -> None:
        """No new connection is accepted, and every open one is ended, as when the server goes."""
        self.sql(
            f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'",
        )

    def give_back(self) -> None:
        self.sql(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@pytest.fixture
def database() -> Iterator[Database]:
    admin_url = os.environ.get("RECAP_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
    if admin_url == "off":
        pytest.skip("RECAP_TEST_POSTGRES_URL=off")
    db = Database(admin_url)
    db.sql(f'CREATE DATABASE "{db.name}"')
    yield db
    db.sql(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    db.admin.dispose()


# -- recap slack -----------------------------------------------------------------------------------


@pytest.fixture
def slack():
    with fs.FakeSlack() as fake:
        yield fake


async def mention(slack: fs.FakeSlack, port: int, link: str, ts: str) -> str:
    """Mention recap with `link` in a new thread; returns the ts of its progress message there."""
    posts = len(slack.calls_to("chat.postMessage", ok=True))
    url = f"http://127.0.0.1:{port}/slack/events"
    delivery = await fs.post_signed_async(url, fs.app_mention(f"<@{fs.BOT_USER_ID}> {link}", ts=ts), SECRET)
    assert delivery.status == 200
    calls = await slack.wait_for_async("chat.postMessage", posts + 1, timeout=START_S)
    assert calls[-1].params["thread_ts"] == ts
    return calls[-1].response["ts"]


async def digest_in(slack: fs.FakeSlack, progress_ts: str) -> None:
    """Wait for the digest in the thread of the progress message `progress_ts` (posted as a new message)."""
    (progress,) = [c for c in slack.calls_to("chat.postMessage", ok=True) if c.response["ts"] == progress_ts]

    def arrived() -> bool:
        return bool(slack.digests(fs.CHANNEL_ID, progress.params["thread_ts"]))

    deadline = time.monotonic() + JOB_S
    while not arrived():
        assert time.monotonic() < deadline, "no digest in the thread"
        await asyncio.sleep(0.1)


async def test_recap_slack_serves_health_beside_its_events_and_counts_a_job(tmp_path, slack, processes, media_server):
    """HTTP mode, with the core in child processes (the default): their stage reports reach the
    front end's metrics, and a link asked for again is served from the store."""
    port = free_port()
    env = {"SLACK_SIGNING_SECRET": SECRET, **slack_env(slack, tmp_path / "recap.sqlite3", isolation="process")}
    recap = await Recap(tmp_path, ["slack", "--port", str(port)], env, name="slack").start()
    processes.append(recap)

    state = await ready(port)
    assert state == {"ready": True, "checks": {"database": "ok", "slack": "ok", "whisper model": "ok"}}
    await assert_alive_with_metrics(port)
    before = await scrape(port)

    link = media_server.url("site/bees.html")
    await digest_in(slack, await mention(slack, port, link, ts="1700009000.000100"))
    after = await counted(port, before)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("recap_jobs_started_total", kind="digest") == 1
    assert moved("recap_jobs_finished_total", kind="digest", outcome="done", stage="writing") == 1
    for stage in ("probing", "captions", "writing"):  # the child's reports, timed in the front end
        assert moved("recap_stage_seconds_count", kind="digest", stage=stage) == 1, stage
    assert moved("recap_stage_seconds_count", kind="digest", stage="transcribing") == 0  # captions: no whisper
    assert moved("recap_job_seconds_count", kind="digest") == 1
    assert moved("recap_store_lookups_total", item="digest", result="miss") == 1
    assert moved("recap_store_lookups_total", item="transcript", result="miss") == 1
    assert moved("recap_ack_seconds_count", request="on_message") >= 1  # app_mention, and its message twin

    # The same video in another thread: the digest comes from the store, and no stage ran.
    await digest_in(slack, await mention(slack, port, link, ts="1700009100.000100"))
    again = await counted(port, after)
    assert value(again, "recap_store_lookups_total", item="digest", result="hit") == 1
    stages = "recap_stage_seconds_count"
    assert value(again, stages, kind="digest") == value(after, stages, kind="digest")
    assert value(again, "recap_tokens_total") == 0  # the extractive writer spends none

    recap.signal(signal.SIGTERM)
    assert await recap.exit_status(30) == 0, recap.log


async def counted(port: int, before: str) -> str:
    """The first scrape that counts one more digest job done than `before` did (the job is counted
    a moment after its reply is posted)."""
    done = {"kind": "digest", "outcome": "done"}
    want = value(before, "recap_jobs_finished_total", **done) + 1
    return await eventually(
        lambda: scrape(port), lambda page: value(page, "recap_jobs_finished_total", **done) >= want, 10, "the job"
    )


async def test_recap_slack_is_unready_while_its_database_is_away(tmp_path, database, slack, processes):
    port = free_port()
    env = {
        "SLACK_SIGNING_SECRET": SECRET,
        **slack_env(slack, tmp_path / "unused.sqlite3"),
        "RECAP_DATABASE_URL": database.url,
    }
    recap = await Recap(tmp_path, ["slack", "--port", str(port)], env, name="slack").start()
    processes.append(recap)
    await ready(port)

    database.take_away()
    state = await unready(port, "database")
    assert state["checks"] == {"database": "unreachable (OperationalError)", "slack": "ok", "whisper model": "ok"}
    assert database.name not in json.dumps(state)  # the type of the failure, not the driver's words
    assert (await get(port, "/healthz")).status == 200  # unready is not dead: no restart for a database outage
    assert "recap_queue_depth{" not in await scrape(port)  # the other metrics still come; no stale depth

    database.give_back()
    await ready(port, timeout=30)
    recap.signal(signal.SIGTERM)
    assert await recap.exit_status(30) == 0, recap.log


async def test_recap_slack_in_socket_mode_serves_health_on_the_health_port(tmp_path, slack, processes):
    port = free_port()
    async with SocketModeEnd() as end:
        slack.socket_url = end.url
        env = {"SLACK_APP_TOKEN": fs.APP_TOKEN, "RECAP_HEALTH_PORT": str(port), **slack_env(slack, tmp_path / "r.db")}
        recap = await Recap(tmp_path, ["slack"], env, name="socket").start()
        processes.append(recap)
        state = await ready(port)
        assert state["checks"] == {"database": "ok", "slack": "ok", "whisper model": "ok"}
        await assert_alive_with_metrics(port)
    # Slack's end went away: the socket is closed and reconnecting fails.
    assert "not connected" in (await unready(port, "slack"))["checks"]["slack"]
    assert (await get(port, "/healthz")).status == 200  # unready is not dead
    recap.signal(signal.SIGTERM)
    assert await recap.exit_status(30) == 0, recap.log


# -- recap discord ---------------------------------------------------------------------------------


async def test_recap_discord_serves_health_and_is_unready_without_its_gateway(tmp_path, processes):
    port = free_port()
    async with fd.FakeDiscord() as fake:
        env = {**discord_env(fake, tmp_path), "RECAP_HEALTH_PORT": str(port)}
        recap = await Recap(tmp_path, ["discord"], env, name="discord").start()
        processes.append(recap)
        await connected(fake, recap)
        state = await ready(port)
        assert state["checks"] == {"database": "ok", "discord": "ok", "whisper model": "ok"}
        await assert_alive_with_metrics(port)
    # Discord went away: the gateway session is gone, and reconnecting fails.
    assert (await unready(port, "discord"))["checks"]["discord"] == "gateway not connected"
    assert (await get(port, "/healthz")).status == 200
    recap.signal(signal.SIGTERM)
    assert await recap.exit_status(30) == 0, recap.log


# -- recap worker ----------------------------------------------------------------------------------


def worker_env(database: Database, slack: fs.FakeSlack, port: int) -> dict[str, str]:
    return {
        "RECAP_DATABASE_URL": database.url,
        "RECAP_JOBS": "workers",
        "RECAP_ALLOW_PRIVATE_NETWORKS": "true",
        "SLACK_BOT_TOKEN": fs.BOT_TOKEN,
        "RECAP_SLACK_API_URL": slack.api_url,
        "RECAP_HEALTH_PORT": str(port),
        "RECAP_LOG_LEVEL": "INFO",
    }


def pasted(url: str, message_id: str) -> Incoming:
    return Incoming(
        place=Place("slack", fs.TEAM_ID, fs.CHANNEL_ID),
        message_id=message_id,
        user=fs.USER_ID,
        text=url,
        links=tuple(slack_links(url)),
        mentions_bot=True,
    )


async def test_a_worker_is_unready_from_sigterm_while_it_finishes_its_job(
    tmp_path, database, slack, processes, media_server
):
    """The job holds at its captions (the media server keeps that request waiting) while the
    worker is asked for its metrics, then told to stop; the job still ends in a digest."""
    held = threading.Barrier(2)
    captions = (Path(__file__).parent / "fixtures" / "media" / "bees.en.vtt").read_bytes()
    media_server.add_bytes("/media/bees.en.vtt", captions, content_type="text/vtt", times=1, gate=held)
    settings = Settings(
        _env_file=None,
        database_url=database.url,
        jobs="workers",
        allow_private_networks=True,
        slack_bot_token=fs.BOT_TOKEN,
        slack_api_url=slack.api_url,
    )
    front_end = build_assistant(settings)  # records and defers the job: the worker runs it
    await front_end.on_message(pasted(media_server.url("site/bees.html"), "1700009500.000100"))
    await front_end.runner.shutdown(0)
    front_end.service.store.engine.dispose()

    port = free_port()
    recap = await Recap(tmp_path, ["worker"], worker_env(database, slack, port), name="worker").start()
    processes.append(recap)
    state = await ready(port)
    assert state["checks"] == {"database": "ok", "job queue": "ok", "whisper model": "ok"}
    await assert_alive_with_metrics(port)

    async def captions_asked() -> list:
        return media_server.requests_for("media/bees.en.vtt")

    await eventually(captions_asked, bool, JOB_S, "the job to ask for the captions")
    page = await scrape(port)
    assert value(page, "recap_jobs_started_total", kind="digest") == 1
    assert value(page, "recap_queue_depth", platform="slack", status="running") == 1
    assert (await get(port, "/readyz")).status == 200

    recap.signal(signal.SIGTERM)
    assert (await unready(port, "shutting down", timeout=10)) == {"ready": False, "reason": "shutting down"}
    assert (await get(port, "/healthz")).status == 200  # draining, not dead
    await asyncio.to_thread(held.wait, 10)  # the captions go out: the job finishes within the grace
    assert await recap.exit_status(JOB_S) == 0, recap.log
    (digest,) = [c for c in slack.calls_to("chat.postMessage", ok=True) if c.params["blocks"][0]["type"] == "header"]
    assert "Honey Bees" in digest.params["blocks"][0]["text"]["text"]
    with Store.open(database.url).engine.connect() as c:
        assert c.execute(text("SELECT status FROM jobs")).scalars().all() == ["done"]


# -- the parts, in this process --------------------------------------------------------------------


@pytest.fixture
async def health(tmp_path) -> Health:
    return Health(Store.open(f"sqlite:///{tmp_path / 'h.sqlite3'}").engine, "chat", whisper_model="tiny.en")


async def client_of(health: Health) -> TestClient:
    app = web.Application()
    app.add_routes(health.routes())
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_readiness_names_what_is_wrong_and_turns_off_for_good_at_shutdown(health, tmp_path):
    async def reconnecting() -> str | None:
        return "reconnecting"

    async def connected() -> str | None:
        return None

    client = await client_of(health)
    try:
        r = await client.get("/readyz")  # the chat is not watched yet: not started
        assert (r.status, (await r.json())["reason"]) == (503, "chat: not started yet")

        health.watch_platform(connected)
        r = await client.get("/readyz")
        assert r.status == 200
        assert await r.json() == {"ready": True, "checks": {"database": "ok", "chat": "ok", "whisper model": "ok"}}

        health.watch_platform(reconnecting)
        health.whisper_model = str(tmp_path)  # a folder with no model in it
        r = await client.get("/readyz")
        assert r.status == 503
        body = await r.json()
        assert body["reason"] == f"chat: reconnecting; whisper model: no whisper model in {tmp_path}"
        assert body["checks"]["database"] == "ok"

        health.watch_platform(connected)
        health.whisper_model = None  # a process that transcribes nothing does not check for a model
        r = await client.get("/readyz")
        assert r.status == 200 and "whisper model" not in (await r.json())["checks"]
        health.drain()
        r = await client.get("/readyz")
        assert (r.status, await r.json()) == (503, {"ready": False, "reason": "shutting down"})
        r = await client.get("/healthz")
        assert (r.status, await r.text()) == (200, "ok")
    finally:
        await client.close()


async def test_a_database_that_does_not_answer_is_waited_for_by_one_thread_only():
    release = threading.Event()
    calls: list[int] = []

    def stuck() -> None:
        calls.append(1)
        release.wait(10)

    probe = OffLoop(stuck, timeout_s=0.2)
    try:
        for _ in range(3):  # probes keep coming while the first call hangs
            with pytest.raises(TimeoutError):
                await probe()
        assert calls == [1]
    finally:
        release.set()
    await asyncio.sleep(0.05)  # the stuck call returns…
    await probe()  # …and the next probe makes a call of its own
    assert calls == [1, 1]


async def test_a_health_port_in_use_is_reported_and_the_process_goes_on(health, caplog):
    taken = await asyncio.start_server(lambda r, w: None, "0.0.0.0", 0)
    port = taken.sockets[0].getsockname()[1]
    try:
        with caplog.at_level(logging.ERROR, logger="bot.health"):
            stop = await health.serve(port)
        assert f"cannot serve /healthz, /readyz and /metrics on port {port}" in caplog.text
        assert "RECAP_HEALTH_PORT" in caplog.text
        await stop()
    finally:
        taken.close()
        await taken.wait_closed()
    assert await (await health.serve(0))() is None  # 0: nothing served, nothing to stop


def count(name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_what_a_digest_job_did_is_read_from_the_stages_it_reported():
    made = sample_digest(Video(key="k", url="https://example.com/v", title="T"), writer="claude")
    made = made.model_copy(update={"usage": Usage(input_tokens=1000, output_tokens=200, cache_read_input_tokens=50)})
    names = ("recap_store_lookups_total", "recap_tokens_total", "recap_jobs_finished_total")
    hits, misses = count(names[0], item="transcript", result="hit"), count(names[0], item="digest", result="miss")
    tokens_in, tokens_out = count(names[1], kind="digest", type="input"), count(names[1], kind="digest", type="output")
    written = count("recap_stage_seconds_count", kind="digest", stage="writing")

    seen: list[str] = []
    with metrics.watching("digest"):
        progress = metrics.followed(lambda stage, fraction: seen.append(stage))
        progress("writing", None)  # no probing: the transcript was stored, the digest written
        metrics.digest_made(made)
    assert seen == ["writing"]  # the reports still reach the chat's progress message
    assert count(names[0], item="transcript", result="hit") == hits + 1
    assert count(names[0], item="digest", result="miss") == misses + 1
    assert count(names[1], kind="digest", type="input") == tokens_in + 1000
    assert count(names[1], kind="digest", type="output") == tokens_out + 200
    assert count("recap_stage_seconds_count", kind="digest", stage="writing") == written + 1

    stored_hits = count(names[0], item="digest", result="hit")
    finished = count(names[2], kind="digest", outcome="done", stage="none")
    with metrics.watching("digest"):
        metrics.digest_made(made)  # nothing reported: served from the store, and nothing spent again
    assert count(names[0], item="digest", result="hit") == stored_hits + 1
    assert count(names[1], kind="digest", type="input") == tokens_in + 1000
    assert count(names[2], kind="digest", outcome="done", stage="none") == finished + 1


class Handlers:
    @metrics.watched()
    async def run(self, job: Job) -> bool:
        what = job.payload["do"]
        if what == "fail":
            raise RuntimeError("boom")
        if what == "stop":
            raise asyncio.CancelledError
        if what == "decline":
            metrics.declined()
        return what != "hand on"


@pytest.mark.parametrize(
    ("do", "final", "outcome"),
    [
        ("finish", True, "done"),
        ("decline", True, "declined"),
        ("hand on", True, "handed_on"),
        ("fail", True, "failed"),
        ("fail", False, "retried"),
        ("stop", True, "handed_back"),
    ],
)
async def test_a_job_is_counted_started_and_then_by_how_it_ended(do, final, outcome):
    kind = f"test-{uuid.uuid4().hex[:6]}"  # series of its own
    job = Job(1, kind, {"do": do}, final_attempt=final)
    with pytest.raises((RuntimeError, asyncio.CancelledError)) if do in ("fail", "stop") else contextlib.nullcontext():
        await Handlers().run(job)
    assert count("recap_jobs_started_total", kind=kind) == 1
    assert count("recap_jobs_finished_total", kind=kind, outcome=outcome, stage="none") == 1
    assert count("recap_job_seconds_count", kind=kind, outcome=outcome) == 1
