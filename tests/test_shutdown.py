"""SIGTERM drains the chat front ends, and a front end killed mid-job finishes the reply it owed
once restarted: `recap slack` and `recap discord` as real processes, against the fake Slack and
Discord, with real yt-dlp and whisper on a link that has no captions (so the job takes a while)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.support import fake_discord as fd
from tests.support import fake_slack as fs
from tests.support.processes import (
    SECRET,
    START_S,
    Recap,
    SocketModeEnd,
    connected,
    discord_env,
    free_port,
    slack_env,
    until,
)

JOB_S = 180  # probing, downloading and transcribing a 70 s talk with whisper's tiny model

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def job_rows(db: Path) -> list[tuple[str, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as c:
        return c.execute("SELECT status, owner FROM jobs ORDER BY id").fetchall()


def remembered_progress(db: Path) -> list[str | None]:
    """The progress message each job has written down, for whoever finishes it to edit."""
    with contextlib.closing(sqlite3.connect(db)) as c:
        return [json.loads(p).get("progress_id") for (p,) in c.execute("SELECT payload_json FROM jobs ORDER BY id")]


# -- Slack, HTTP mode ------------------------------------------------------------------------------


@pytest.fixture
def slack():
    with fs.FakeSlack() as fake:
        yield fake


class SlackRun:
    """`recap slack --port P` against the fake Slack, on one database, as often as a test starts it."""

    def __init__(self, tmp_path: Path, slack: fs.FakeSlack, processes: list[Recap], isolation: str):
        self.tmp_path, self.slack, self.processes, self.isolation = tmp_path, slack, processes, isolation
        self.db = tmp_path / "recap.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"

    async def start(self, instance: str = "test-host", grace: float = 120) -> Recap:
        env = {"SLACK_SIGNING_SECRET": SECRET, **slack_env(self.slack, self.db, instance, grace, self.isolation)}
        recap = Recap(self.tmp_path, ["slack", "--port", str(self.port)], env, name=f"slack-{len(self.processes)}")
        self.processes.append(await recap.start())
        await until(lambda: self.accepts() or not recap.running(), START_S, "recap slack to listen")
        assert recap.running(), f"recap slack exited:\n{recap.log}"
        return recap

    def accepts(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    async def ask(self, link: str, ts: str) -> str:
        """Mention recap with `link`; returns the ts of the progress message it posts in the thread."""
        delivery = await fs.post_signed_async(self.url, fs.app_mention(f"<@{fs.BOT_USER_ID}> {link}", ts=ts), SECRET)
        assert delivery.status == 200
        (post,) = await self.slack.wait_for_async("chat.postMessage", timeout=START_S)
        assert post.params["thread_ts"] == ts and "Watching…" in str(post.params["blocks"])
        return post.response["ts"]

    def digest_in(self, thread_ts: str) -> bool:
        return bool(self.slack.digests(fs.CHANNEL_ID, thread_ts))

    def assert_one_digest(self, thread_ts: str, progress_ts: str) -> None:
        """The thread holds one message from recap: the digest, posted as a new message (so the
        thread's followers are notified), and the progress message is gone."""
        (final,) = self.slack.thread(fs.CHANNEL_ID, thread_ts)
        assert final["ts"] != progress_ts and self.slack.message(fs.CHANNEL_ID, progress_ts) is None
        assert len(self.slack.calls_to("chat.postMessage", ok=True)) == 2  # one "Watching…", one digest
        assert final["blocks"][0]["type"] == "header" and "lighthouses" in final["blocks"][0]["text"]["text"].lower()


@pytest.fixture(params=["thread", "process"])
def slack_run(request, tmp_path, slack, processes) -> SlackRun:
    """Both ways a front end runs the core: in its threads, or in child processes (the default)."""
    return SlackRun(tmp_path, slack, processes, isolation=request.param)


async def test_a_slack_process_killed_mid_job_finishes_the_reply_after_a_restart(slack_run, media_server):
    first = await slack_run.start()
    progress = await slack_run.ask(media_server.url("media/lighthouses.opus"), ts="1700000100.000100")
    # Killed before recap wrote the message's ts down, the restart could only post a new one.
    await until(lambda: remembered_progress(slack_run.db) == [progress], 10, "the progress message to be remembered")
    first.kill_all()  # no drain, no hand-back: the job stays owned by "test-host/slack"
    assert await first.exit_status(10) == -signal.SIGKILL
    assert job_rows(slack_run.db) == [("running", "test-host/slack")]

    second = await slack_run.start()
    await until(lambda: slack_run.digest_in("1700000100.000100"), JOB_S, "the digest")
    await until(lambda: job_rows(slack_run.db) == [("done", None)], 10, "the job to be done")
    slack_run.assert_one_digest("1700000100.000100", progress)
    assert "resumed 1 unfinished job" in second.log

    second.signal(signal.SIGTERM)
    assert await second.exit_status(30) == 0


async def test_sigterm_lets_the_running_job_finish_then_exits_0(slack_run, media_server):
    recap = await slack_run.start(grace=JOB_S)
    progress = await slack_run.ask(media_server.url("media/lighthouses.opus"), ts="1700000200.000100")
    recap.signal(signal.SIGTERM)
    # New requests are refused at once, while the job goes on.
    await until(lambda: not slack_run.accepts(), 10, "the port to close")
    assert await recap.exit_status(JOB_S) == 0
    slack_run.assert_one_digest("1700000200.000100", progress)
    assert job_rows(slack_run.db) == [("done", None)]
    assert "SIGTERM received" in recap.log and "recap stopped serving Slack" in recap.log


async def test_a_second_sigterm_ends_the_drain_at_once(tmp_path, slack, processes, media_server):
    run = SlackRun(tmp_path, slack, processes, isolation="thread")
    recap = await run.start(grace=JOB_S)
    await run.ask(media_server.url("media/lighthouses.opus"), ts="1700000230.000100")
    recap.signal(signal.SIGTERM)
    await until(lambda: "SIGTERM received" in recap.log, 10, "the first SIGTERM to be taken")
    recap.signal(signal.SIGTERM)
    assert await recap.exit_status(10) == -signal.SIGTERM
    assert job_rows(run.db) == [("running", "test-host/slack")]  # kept for this instance's restart


async def test_ctrl_c_in_a_terminal_lets_the_job_finish_with_the_core_in_child_processes(
    tmp_path, slack, processes, media_server
):
    run = SlackRun(tmp_path, slack, processes, isolation="process")
    recap = await run.start(grace=JOB_S)
    progress = await run.ask(media_server.url("media/lighthouses.opus"), ts="1700000250.000100")
    # Once a child is at work: a terminal sends SIGINT to the whole foreground process group.
    await until(lambda: "transcribing" in str(slack.message(fs.CHANNEL_ID, progress)), JOB_S, "transcription")
    assert recap.proc is not None
    os.killpg(recap.proc.pid, signal.SIGINT)
    assert await recap.exit_status(JOB_S) == 0
    run.assert_one_digest("1700000250.000100", progress)


async def test_sigterm_with_no_grace_hands_the_job_back_for_the_next_process(slack_run, media_server):
    recap = await slack_run.start(grace=0)
    progress = await slack_run.ask(media_server.url("media/lighthouses.opus"), ts="1700000300.000100")
    recap.signal(signal.SIGTERM)
    # Not quite at once: the job is handed back at once, but the process exits only when the core's
    # step in flight returns (a thread cannot be interrupted; a child finishes its work item).
    assert await recap.exit_status(JOB_S) == 0
    (row,) = job_rows(slack_run.db)
    assert row[1] is None and row[0] in ("pending", "running")  # unowned, unfinished
    assert not slack_run.digest_in("1700000300.000100")
    assert "handed back 1 unfinished job" in recap.log

    # Unowned, it is anyone's at once: a process under another name need not wait out a lease.
    later = await slack_run.start(instance="other-host")
    await until(lambda: slack_run.digest_in("1700000300.000100"), JOB_S, "the digest")
    await until(lambda: job_rows(slack_run.db) == [("done", None)], 10, "the job to be done")
    slack_run.assert_one_digest("1700000300.000100", progress)
    later.signal(signal.SIGTERM)
    assert await later.exit_status(30) == 0


# -- Slack, Socket Mode -----------------------------------------------------------------------------


async def test_sigterm_in_socket_mode_disconnects_then_lets_the_job_finish(tmp_path, slack, processes, media_server):
    async with SocketModeEnd() as end:
        slack.socket_url = end.url
        env = {"SLACK_APP_TOKEN": fs.APP_TOKEN, **slack_env(slack, tmp_path / "r.sqlite3")}
        recap = Recap(tmp_path, ["slack"], env, name="socket")
        processes.append(await recap.start())
        await until(lambda: end.sockets or not recap.running(), START_S, "recap to connect in Socket Mode")
        assert recap.running(), f"recap slack exited:\n{recap.log}"

        link = media_server.url("media/lighthouses.opus")
        sent = await end.send(fs.app_mention(f"<@{fs.BOT_USER_ID}> {link}", ts="1700000400.000100"))
        (post,) = await slack.wait_for_async("chat.postMessage", timeout=START_S)
        assert end.acks == [sent]
        recap.signal(signal.SIGTERM)
        await until(lambda: end.closed, 10, "recap to disconnect")  # at once, while the job goes on
        assert await recap.exit_status(JOB_S) == 0
        assert slack.message(fs.CHANNEL_ID, post.response["ts"]) is None  # "Watching…" gone…
        (final,) = slack.thread(fs.CHANNEL_ID, "1700000400.000100")  # …the digest posted instead
        assert final["blocks"][0]["type"] == "header" and "lighthouses" in final["blocks"][0]["text"]["text"].lower()
        assert len(end.sockets) == 1  # it did not connect again


# -- Discord ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_recap_discord_stops_on_a_signal(sig, tmp_path, processes):
    async with FakeDiscordServer() as fake:
        recap = Recap(tmp_path, ["discord"], discord_env(fake, tmp_path), name="discord")
        processes.append(await recap.start())
        await connected(fake, recap)
        recap.signal(sig)
        assert await recap.exit_status(30) == 0
        assert "recap stopped serving Discord" in recap.log
        await until(lambda: not fake._conns, 10, "the gateway connection to close")


async def test_sigterm_ends_the_discord_reconnect_loop(tmp_path, processes):
    # Without the message content intent granted the first attempt fails and recap connects again.
    async with FakeDiscordServer(privileged=()) as fake:
        recap = Recap(tmp_path, ["discord"], discord_env(fake, tmp_path), name="discord")
        processes.append(await recap.start())
        await connected(fake, recap, connections=2)
        assert fake.identify is not None and not fake.identify["intents"] & (1 << 15)  # no message content
        recap.signal(signal.SIGTERM)
        assert await recap.exit_status(30) == 0
        assert fake.connections == 2 and "recap stopped serving Discord" in recap.log


async def test_sigterm_lets_a_discord_job_finish(tmp_path, processes, media_server):
    async with FakeDiscordServer() as fake:
        recap = Recap(tmp_path, ["discord"], discord_env(fake, tmp_path), name="discord")
        processes.append(await recap.start())
        await connected(fake, recap)
        await until(lambda: fake.ready is not None and fake.ready.is_set(), START_S, "the guild to be sent")
        msg = await fake.dispatch("MESSAGE_CREATE", fake.message(media_server.url("media/lighthouses.opus")))
        thread = msg["id"]  # a thread started on a message has the message's id
        (post,) = await fake.wait_for("POST", rf"/channels/{thread}/messages", timeout=START_S, ok=True)
        assert "Watching…" in post.json["content"]
        recap.signal(signal.SIGTERM)
        assert await recap.exit_status(JOB_S) == 0
        (digest,) = fake.bot_messages(thread)  # posted anew, and "Watching…" deleted
        assert digest["id"] != post.response["id"] and "lighthouses" in digest["embeds"][0]["title"].lower()
        assert len(fake.requests_to("POST", rf"/channels/{thread}/messages", ok=True)) == 2


FakeDiscordServer = fd.FakeDiscord  # the fake runs on the test's loop; recap reaches it over the network
