"""The progress message of a job: posted once, written down for whoever resumes the job, even when
the job is cancelled (shutdown) while the post is on its way."""

from __future__ import annotations

import asyncio

from bot.chat import Place, ProgressNote, Reply, Sent
from bot.progress import ChatProgress
from tests.support.memory_chat import MemoryChat

PLACE = Place(platform="slack", workspace="T1", channel="C1", thread="1700000000.000100")


class SlowChat(MemoryChat):
    """A chat whose posts reach the server at once but whose answers arrive only when let through."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()
        self.answer = asyncio.Event()

    async def post(self, place: Place, reply: Reply) -> Sent:
        sent = await super().post(place, reply)
        self.arrived.set()
        await self.answer.wait()
        return sent


async def test_a_job_cancelled_while_its_progress_message_is_posted_still_writes_the_message_down():
    chat = SlowChat()
    remembered: list[str] = []

    async def remember(message_id: str) -> None:
        remembered.append(message_id)

    progress = ChatProgress(chat, PLACE, asyncio.get_running_loop(), quiet=False, sent_id=None, remember=remember)
    job = asyncio.create_task(progress.start())
    await asyncio.wait_for(chat.arrived.wait(), 5)
    job.cancel()  # shutdown: the job is handed back while Slack has the message but recap no answer yet
    await asyncio.sleep(0)
    assert not job.done()  # the cancellation waits for the post it cannot take back
    chat.answer.set()
    try:
        await asyncio.wait_for(job, 5)
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the job should still end cancelled")
    (posted,) = chat.messages
    assert remembered == [posted.message_id]  # the next process edits this message, never posts another


async def test_a_resumed_job_edits_the_progress_message_it_posted_before():
    chat = MemoryChat()
    before = await chat.post(PLACE, ProgressNote("Watching… transcribing 40%"))
    remembered: list[str] = []

    async def remember(message_id: str) -> None:
        remembered.append(message_id)

    progress = ChatProgress(
        chat, PLACE, asyncio.get_running_loop(), quiet=False, sent_id=before.message_id, remember=remember
    )
    await progress.start()
    await progress.note("starting again")
    assert [m.message_id for m in chat.messages] == [before.message_id] and remembered == []
    assert chat.messages[0].reply == ProgressNote("Watching… starting again")


async def test_the_final_reply_is_a_new_message_then_the_progress_message_goes():
    chat = MemoryChat()
    finals: list[str] = []

    async def remember(message_id: str) -> None:
        pass

    async def remember_final(message_id: str) -> None:
        finals.append(message_id)

    loop = asyncio.get_running_loop()
    progress = ChatProgress(
        chat, PLACE, loop, quiet=False, sent_id=None, remember=remember, remember_final=remember_final
    )
    await progress.start()
    await progress.finish(ProgressNote("the digest"))
    (watching,) = chat.deleted
    (final,) = chat.messages  # posted anew, so the thread's followers are notified of it
    assert watching.reply == ProgressNote("Watching… looking at the link") and finals == [final.message_id]
    assert final.history == [ProgressNote("the digest")]


async def test_a_job_resumed_after_its_final_reply_was_posted_edits_it_and_removes_the_progress_message():
    """Killed between posting the digest and deleting "Watching…": the next run posts no second digest."""
    chat = MemoryChat()
    watching = await chat.post(PLACE, ProgressNote("Watching… writing the digest"))
    posted = await chat.post(PLACE, ProgressNote("the digest"))

    async def remember(message_id: str) -> None:
        raise AssertionError("nothing new to remember")

    progress = ChatProgress(
        chat,
        PLACE,
        asyncio.get_running_loop(),
        quiet=False,
        sent_id=watching.message_id,
        remember=remember,
        final_id=posted.message_id,
        remember_final=remember,
    )
    await progress.start()
    await progress.finish(ProgressNote("the digest, again"))
    (final,) = chat.messages
    assert final.message_id == posted.message_id and final.reply == ProgressNote("the digest, again")
    assert [m.message_id for m in chat.deleted] == [watching.message_id]


async def test_a_new_stage_shows_at_once_and_a_stage_reports_at_most_every_few_seconds():
    """Batched transcription of a short talk reports only at its end: without a new stage showing
    at once, "downloading 100%" would stay up while it runs."""
    chat = MemoryChat()

    async def remember(message_id: str) -> None:
        pass

    progress = ChatProgress(chat, PLACE, asyncio.get_running_loop(), quiet=False, sent_id=None, remember=remember)
    await progress.start()

    def said() -> str:
        reply = chat.messages[0].reply
        assert isinstance(reply, ProgressNote)
        return reply.text

    async def call(stage: str, fraction: float) -> None:  # as the pipeline does, from its worker thread
        await asyncio.to_thread(progress, stage, fraction)
        await progress.landed()

    await call("downloading", 1.0)
    await call("transcribing", 0.0)  # at once, though the last edit was a moment ago
    assert said() == "Watching… transcribing"
    await call("transcribing", 0.5)  # the same stage, too soon: not shown
    assert said() == "Watching… transcribing"
