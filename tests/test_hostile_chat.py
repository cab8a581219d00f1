"""Strangers talk to this bot: spam, failures and refusals, against the whole chat-neutral bot
with the in-memory chat, a real store and real jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from adapters.links import slack_links
from bot.app import build_assistant
from bot.chat import DigestReply, Incoming, Notice, Place, ProgressNote, Requested
from bot.jobs import UNEXPECTED
from bot.settings import Settings
from tests.support.memory_chat import MemoryChat, MemoryRequester

CHANNEL = Place("memory", "W1", "C1")


def make_bot(tmp_path, **kw):
    assistant = build_assistant(
        Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", allow_private_networks=True, **kw)
    )
    chat = MemoryChat()
    assistant.add_chat("memory", chat)
    return assistant, chat


def message(text: str, mid: str = "100.1", thread: str | None = None, **kw) -> Incoming:
    return Incoming(
        place=Place("memory", "W1", "C1", thread),
        message_id=mid,
        user=kw.pop("user", "U1"),
        text=text,
        links=tuple(slack_links(text)),
        **kw,
    )


def jobs(assistant) -> list[tuple[str, str]]:
    with assistant.store.engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT kind, status FROM jobs ORDER BY id"))]


@pytest.fixture
def bot(tmp_path):
    return make_bot(tmp_path)


async def test_a_message_with_a_hundred_links_starts_three_jobs_and_one_refusal(bot, media_server):
    assistant, chat = bot
    links = " ".join(media_server.url(f"media/missing-{i}.opus") for i in range(100))
    await assistant.on_message(message(links, mentions_bot=True))
    await assistant.runner.drain()
    assert len(jobs(assistant)) == 3
    ((place, user, said),) = chat.whispers  # one private word about the rest, not 97 notices
    assert user == "U1" and "at most 3 links" in said and "97" in said
    assert len(media_server.paths()) <= 3 * 3  # at most a probe and its retries a link


async def test_links_in_a_message_that_did_not_address_recap_get_no_refusal(tmp_path, media_server):
    assistant, chat = make_bot(tmp_path, max_links_per_message=2)
    links = " ".join(media_server.url(f"site/missing-{i}.html") for i in range(50))
    await assistant.on_message(message(f"{links} javascript:alert(1) https://www.youtube.com/playlist?list=PL1"))
    await assistant.runner.drain()
    assert len(jobs(assistant)) == 2
    assert chat.whispers == [] and chat.messages == []  # pages that are not videos, pasted in passing


async def test_an_unexpected_failure_still_ends_in_a_reply_and_hides_its_details(bot, media_server):
    assistant, chat = bot
    with assistant.store.engine.begin() as c:  # an unlucky operator's broken database
        c.execute(text("DROP TABLE digests"))
    await assistant.on_message(message(media_server.url("site/bees.html"), mentions_bot=True))
    await assistant.runner.drain()
    (progress,) = chat.deleted
    assert isinstance(progress.history[0], ProgressNote)  # "Watching…" was shown…
    (posted,) = chat.messages
    assert isinstance(posted.reply, Notice) and UNEXPECTED in posted.reply.text  # …and followed by why not
    assert "digests" not in posted.reply.text and "table" not in posted.reply.text
    assert jobs(assistant) == [("digest", "failed")]


async def test_a_failed_link_can_be_asked_for_again_in_the_same_thread(bot, media_server):
    assistant, chat = bot
    missing = media_server.url("site/missing.html")
    await assistant.on_message(message(missing, mentions_bot=True))
    await assistant.runner.drain()
    await assistant.on_message(message(f"again {missing}", mid="100.2", thread="100.1", mentions_bot=True))
    await assistant.runner.drain()
    notices = [m.reply for m in chat.messages]
    assert len(notices) == 2 and all(isinstance(n, Notice) and "404" in n.text for n in notices)


async def test_a_request_without_a_video_link_posts_nothing(bot):
    assistant, chat = bot
    requester = MemoryRequester(chat, CHANNEL)
    await assistant.request_digests(CHANNEL, [], requester)
    await assistant.request_digests(CHANNEL, ["https://www.youtube.com/@somechannel"], requester)
    await assistant.runner.drain()
    assert chat.messages == [] and jobs(assistant) == []
    assert requester.told[0] == "I found no video link there." and "YouTube channel" in requester.told[1]


async def test_a_refused_request_posts_nothing_in_public(tmp_path, media_server):
    assistant, chat = make_bot(tmp_path, limit_per_user_per_hour=1)
    requester = MemoryRequester(chat, CHANNEL)
    await assistant.request_digests(CHANNEL, [media_server.url("site/bees.html")], requester)
    await assistant.runner.drain()
    await assistant.request_digests(CHANNEL, [media_server.url("media/bees.opus")], requester)
    await assistant.runner.drain()
    opened = [m for m in chat.messages if isinstance(m.reply, Requested)]
    assert len(opened) == 1 and "in the last hour" in requester.told[-1]


async def test_a_channel_recap_may_not_post_in_is_said_privately(bot, media_server):
    assistant, chat = bot
    requester = MemoryRequester(chat, CHANNEL, cannot_post="I'm not in this channel: invite @recap first.")
    await assistant.request_digests(CHANNEL, [media_server.url("site/bees.html")], requester)
    await assistant.runner.drain()
    assert chat.messages == [] and jobs(assistant) == []
    assert requester.told[-1] == "I'm not in this channel: invite @recap first."
    # Nothing was claimed for good: once recap is invited, the same request works.
    requester.cannot_post = None
    await assistant.request_digests(CHANNEL, [media_server.url("site/bees.html")], requester)
    await assistant.runner.drain()
    assert isinstance(chat.messages[-1].reply, DigestReply)


async def test_two_spellings_of_one_video_in_a_message_are_one_job(bot, media_server):
    assistant, chat = bot
    url = media_server.url("site/bees.html")
    await assistant.on_message(message(f"{url} {url}?utm_source=x {url}#t=3", mentions_bot=True))
    await assistant.runner.drain()
    assert jobs(assistant) == [("digest", "done")] and chat.whispers == []


async def test_settings_are_validated_and_for_admins_on_every_platform(bot):
    assistant, _ = bot
    assert (await assistant.change_settings(CHANNEL, {"language": "fr"}, is_admin=False)).startswith("Only")
    assert "not a setting" in await assistant.change_settings(CHANNEL, {"language": "<!channel>"}, is_admin=True)
    assert "not a setting" in await assistant.change_settings(CHANNEL, {"writer": "gpt"}, is_admin=True)
    assert assistant.store.settings(CHANNEL).language is None
    assert "language fr" in await assistant.change_settings(CHANNEL, {"language": "FR"}, is_admin=True)
    assert assistant.store.settings(CHANNEL).language == "fr"


async def test_ten_threads_asking_for_one_uncaptioned_video_at_once_cost_one_download(tmp_path, media_server):
    assistant, chat = make_bot(tmp_path, job_concurrency=4)
    url = media_server.url("media/lighthouses.opus")
    for i in range(10):
        await assistant.on_message(message(url, mid=f"200.{i}", user=f"U{i}", mentions_bot=True))
    await assistant.runner.drain()
    assert [type(m.reply) for m in chat.messages] == [DigestReply] * 10  # every thread has its digest
    assert len({m.place.thread for m in chat.messages}) == 10
    assert (
        len(
            media_server.requests_for(
                "media/lighthouses.opus",
            )
        )
        <= 2
    )  # one probe, one download
    assert [s for _, s in jobs(assistant)] == ["done"] * 10


async def test_a_locked_database_does_not_stall_the_event_loop(bot, media_server, tmp_path):
    import asyncio
    import sqlite3

    assistant, chat = bot
    locker = sqlite3.connect(tmp_path / "h.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process is writing, for longer than an ack may take
    handling = asyncio.create_task(assistant.on_message(message(media_server.url("site/bees.html"))))
    await asyncio.sleep(0)  # the handler starts and waits for the database…
    assert not handling.done()  # …off the loop: this test runs meanwhile, as acknowledgements would
    locker.execute("COMMIT")
    locker.close()
    await handling  # it goes on once the lock is gone (a blocked loop would have timed out instead)
    await assistant.runner.drain()
    assert isinstance(chat.messages[0].reply, DigestReply)


async def test_the_core_can_run_in_child_processes_with_progress_and_channel_settings(tmp_path, media_server):
    import os

    assistant, chat = make_bot(tmp_path, job_isolation="process", job_concurrency=1)
    try:
        await assistant.change_settings(CHANNEL, {"language": "fr"}, is_admin=True)
        await assistant.on_message(message(media_server.url("media/lighthouses.opus"), mentions_bot=True))
        await assistant.runner.drain()
        (progress,) = chat.deleted
        (posted,) = chat.messages
        stages = [r.text for r in progress.history if isinstance(r, ProgressNote)]
        assert any("transcribing" in s for s in stages)  # progress crossed back from the child
        assert isinstance(posted.reply, DigestReply)
        assert assistant.service.stored_digest(posted.reply.digest.video.key) is None  # stored as French…
        assert assistant.services.for_place(CHANNEL).stored_digest(posted.reply.digest.video.key)  # …for this channel
        children = assistant.core._pool._processes  # the work ran in another interpreter
        assert children and os.getpid() not in children
    finally:
        await assistant.shutdown(0)


async def test_chat_never_reaches_a_path_on_this_machine(bot):
    assistant, chat = bot
    requester = MemoryRequester(chat, CHANNEL)
    await assistant.request_digests(CHANNEL, ["file:///etc/passwd", "/etc/passwd"], requester)
    assert jobs(assistant) == [] and "not a web link" in requester.told[-1]
    # Even a job that says so (a tampered row, an old bug) is refused before anything is opened.
    thread = Place("memory", "W1", "C1", "300.1")
    payload = {"place": thread.__dict__, "url": "/etc/passwd", "user": "U1", "quiet": False, "claims": []}
    await assistant.runner.submit("digest", "memory", "W1", payload)
    await assistant.runner.drain()
    (posted,) = chat.messages
    assert isinstance(posted.reply, Notice) and "not a web link" in posted.reply.text
    with assistant.store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM videos")).scalar() == 0  # nothing was read or stored
    assert jobs(assistant) == [("digest", "done")]


async def test_an_embedded_front_end_sweeps_old_data_once_serving(bot):
    import asyncio
    from datetime import timedelta

    from bot.tables import now

    assistant, _ = bot
    with assistant.store.engine.begin() as c:  # a delivery claim from ten days ago
        c.execute(
            text("INSERT INTO deliveries (key, created_at) VALUES ('event:memory:old', :at)"),
            {"at": now() - timedelta(days=10)},
        )
    await assistant.resume()  # connected: retention starts beside the jobs
    try:
        for _ in range(200):  # bounded: the first sweep runs at once, in a thread
            with assistant.store.engine.connect() as c:
                if not c.execute(text("SELECT count(*) FROM deliveries")).scalar():
                    break
            await asyncio.sleep(0.02)
        with assistant.store.engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM deliveries")).scalar() == 0
    finally:
        await assistant.shutdown(0)
