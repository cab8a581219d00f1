"""The chat-neutral bot, whole, against the in-memory chat: real pipeline, real store, real jobs."""

from __future__ import annotations

import pytest

from adapters.links import slack_links
from bot.app import build_assistant
from bot.chat import AnswerReply, DigestReply, FullDigestReply, Incoming, Notice, Place, ProgressNote
from bot.chatstore import ChannelSettings
from bot.settings import Settings
from tests.support.memory_chat import MemoryChat

CHANNEL = Place("memory", "W1", "C1")


def settings(tmp_path, **kw) -> Settings:
    return Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}", allow_private_networks=True, **kw
    )


@pytest.fixture
def bot(tmp_path):
    assistant = build_assistant(settings(tmp_path))
    chat = MemoryChat()
    assistant.add_chat("memory", chat)
    return assistant, chat


def message(text: str, mid: str = "100.1", thread: str | None = None, **kw) -> Incoming:
    place = Place("memory", "W1", "C1", thread)
    return Incoming(
        place=place, message_id=mid, user=kw.pop("user", "U1"), text=text, links=tuple(slack_links(text)), **kw
    )


async def test_a_pasted_link_gets_progress_then_the_digest_in_its_thread(bot, media_server):
    assistant, chat = bot
    await assistant.on_message(message(f"look at this <{media_server.url('site/bees.html')}>"))
    await assistant.runner.drain()

    (reply,) = chat.messages
    assert reply.place == Place("memory", "W1", "C1", "100.1")  # the thread of the pasted message
    (progress,) = chat.deleted  # "Watching…" was shown, then removed once the digest was there
    assert isinstance(progress.history[0], ProgressNote) and progress.history[0].text.startswith("Watching…")
    # The digest is a message of its own, never an edit: edits notify nobody who follows the thread.
    assert reply.history == [reply.reply] and isinstance(reply.reply, DigestReply)
    assert reply.reply.digest.video.title == "The Secret Life of Honey Bees"


async def test_a_reply_in_the_thread_is_a_follow_up_question(bot, media_server):
    assistant, chat = bot
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    await assistant.on_message(message("How many eggs can the queen lay?", mid="100.2", thread="100.1"))
    await assistant.runner.drain()
    answer = chat.messages[-1].reply
    assert isinstance(answer, AnswerReply) and "two thousand eggs" in answer.answer.answer
    assert answer.answer.citations[0].start_s == 32.451
    # The next question in the thread knows the one before it.
    await assistant.on_message(message("And how long do the workers live?", mid="100.3", thread="100.1"))
    await assistant.runner.drain()
    assert "six weeks" in chat.messages[-1].reply.answer.answer
    assert [
        t.question for t in assistant.service.store.turns(Place("memory", "W1", "C1", "100.1").conversation_id)
    ] == ["How many eggs can the queen lay?", "And how long do the workers live?"]


async def test_retries_duplicates_bots_and_edits_get_no_second_reply(bot, media_server):
    assistant, chat = bot
    url = media_server.url("site/bees.html")
    await assistant.on_message(message(url, event_id="Ev1"))
    await assistant.on_message(message(url, event_id="Ev1"))  # the platform retried the delivery
    await assistant.on_message(message(url, event_id="Ev2"))  # same message, delivered twice
    await assistant.on_message(message(f"again {url}", mid="100.5", thread="100.1"))  # same video, same thread
    await assistant.on_message(message(url, mid="100.6", from_bot=True))
    await assistant.on_message(message(url, mid="100.7", is_edit=True))
    await assistant.runner.drain()
    assert len(chat.messages) == 1


async def test_several_links_give_one_digest_each(bot, media_server):
    assistant, chat = bot
    await assistant.on_message(
        message(f"{media_server.url('site/bees.html')} and {media_server.url('media/bees.opus')}")
    )
    await assistant.runner.drain()
    assert [type(m.reply) for m in chat.messages] == [DigestReply, DigestReply]
    assert {m.place.thread for m in chat.messages} == {"100.1"}


async def test_a_bad_link_says_why_in_the_thread(bot, media_server):
    assistant, chat = bot
    await assistant.on_message(message(media_server.url("site/missing.html"), mentions_bot=True))
    await assistant.runner.drain()
    (reply,) = chat.messages
    assert isinstance(reply.reply, Notice) and "404" in reply.reply.text


async def test_an_article_link_pasted_in_passing_gets_no_reply(bot, media_server):
    assistant, chat = bot
    await assistant.on_message(message(f"news: {media_server.url('site/nomedia.html')}"))
    await assistant.runner.drain()
    assert chat.messages == []


async def test_auto_summarise_can_be_turned_off_per_channel(bot, media_server):
    assistant, chat = bot
    assistant.store.save_settings(CHANNEL, ChannelSettings(auto_summarize=False))
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    assert chat.messages == []
    await assistant.on_message(message(media_server.url("site/bees.html"), mid="100.9", mentions_bot=True))
    await assistant.runner.drain()
    assert isinstance(chat.messages[0].reply, DigestReply)


async def test_buttons_full_digest_and_transcript(bot, media_server):
    assistant, chat = bot
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    digest = chat.messages[0].reply.digest
    thread = chat.messages[0].place
    await assistant.full_digest(thread, digest.video.key)
    await assistant.transcript(thread, digest.video.key)
    assert isinstance(chat.messages[-1].reply, FullDigestReply)
    ((place, file),) = chat.files
    assert place == thread and file.transcript.segments[0].text.startswith("People have kept bees")


async def test_rate_limits_answer_politely(tmp_path, media_server):
    assistant = build_assistant(settings(tmp_path, limit_per_user_per_hour=1))
    chat = MemoryChat()
    assistant.add_chat("memory", chat)
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.on_message(message(media_server.url("media/bees.opus"), mid="100.2"))  # not addressed: silent
    await assistant.on_message(message(media_server.url("media/bees.opus"), mid="100.3", mentions_bot=True))
    await assistant.runner.drain()
    assert [type(m.reply) for m in chat.messages] == [DigestReply]
    ((place, user, text),) = chat.whispers  # the refusal is for the asker's eyes only
    assert user == "U1" and place.thread == "100.3" and "in the last hour" in text


async def test_an_interrupted_job_is_resumed_by_the_next_process(tmp_path, media_server):
    first = build_assistant(settings(tmp_path))
    first_chat = MemoryChat()
    first.add_chat("memory", first_chat)
    first.runner._spawn = lambda *job: None  # this process dies before the job runs
    await first.on_message(message(media_server.url("site/bees.html")))
    assert first_chat.messages == []

    second = build_assistant(settings(tmp_path))
    chat = MemoryChat()
    second.add_chat("memory", chat)
    assert await second.resume() == 1
    await second.runner.drain()
    assert isinstance(chat.messages[0].reply, DigestReply)
    assert await second.resume() == 0  # done means done


async def test_a_front_end_that_reconnects_resumes_each_job_once(tmp_path, media_server):
    first = build_assistant(settings(tmp_path))
    first.add_chat("memory", MemoryChat())
    first.runner._spawn = lambda *job: None  # this process dies before the job runs
    await first.on_message(message(media_server.url("site/bees.html")))

    second = build_assistant(settings(tmp_path))
    chat = MemoryChat()
    second.add_chat("memory", chat)
    assert await second.resume() == 1
    assert await second.resume() == 0  # Discord's gateway reconnected: the job is already running
    await second.runner.drain()
    assert [type(m.reply) for m in chat.messages] == [DigestReply]


async def test_full_digest_button_in_a_channel_with_its_own_language(bot, media_server):
    assistant, chat = bot
    await assistant.change_settings(CHANNEL, {"language": "fr"}, is_admin=True)
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    digest = chat.messages[0].reply.digest
    await assistant.full_digest(chat.messages[0].place, digest.video.key)
    assert isinstance(chat.messages[-1].reply, FullDigestReply)  # found under this channel's language


async def test_a_channel_cannot_choose_a_writer_this_recap_has_no_credentials_for(bot):
    assistant, _ = bot  # no ANTHROPIC_API_KEY, no RECAP_OPENAI_BASE_URL
    for writer, needed in (("claude", "ANTHROPIC_API_KEY"), ("openai", "RECAP_OPENAI_BASE_URL")):
        said = await assistant.change_settings(CHANNEL, {"writer": writer}, is_admin=True)
        assert said.startswith(f"The {writer} writer is not set up") and needed in said
    assert assistant.store.settings(CHANNEL).writer is None  # nothing saved
    assert "writer extractive" in await assistant.change_settings(CHANNEL, {"writer": "extractive"}, is_admin=True)


async def test_a_channel_can_choose_the_openai_writer_where_it_is_set_up(tmp_path):
    assistant = build_assistant(settings(tmp_path, openai_base_url="http://127.0.0.1:9/v1", openai_model="qwen3:4b"))
    said = await assistant.change_settings(CHANNEL, {"writer": "openai"}, is_admin=True)
    assert said.startswith("Saved.") and "writer openai" in said


def test_help_names_each_platforms_own_commands():
    from bot.assistant import help_text

    slack, discord = help_text("slack"), help_text("discord")
    assert "/recap URL" in slack and "/recap settings" in slack and "/recap-settings" not in slack
    assert "/recap video" in discord and "/recap-settings" in discord and "/recap URL" not in discord
    assert "/recap" not in help_text("memory")  # a front end with no commands lists none
