"""Replies in a digest thread: recap answers what is addressed to it, not two people talking.
The whole bot against the in-memory chat, with the real pipeline and store."""

from __future__ import annotations

import pytest

from bot.addressing import reads_as_question
from bot.chat import AnswerReply, DigestReply
from tests.test_assistant import CHANNEL, message
from tests.test_assistant import bot as bot  # noqa: F401 - the fixture


@pytest.mark.parametrize(
    "text",
    [
        "How long do bees live?",
        "why did they stop",
        "¿Cuánto viven las abejas",
        "Combien d'œufs pond la reine",
        "Wie lange leben Bienen",
        "Is that true?!",
        "これは本当ですか？",
        "هل هذا صحيح؟",
        "and then?)",
    ],
)
def test_questions_in_several_languages_read_as_questions(text):
    assert reads_as_question(text)


@pytest.mark.parametrize("text", ["", "   ", "lol nice", "great talk.", "thanks!", "see you at 5", "that is why"])
def test_chatter_does_not_read_as_a_question(text):
    assert not reads_as_question(text)


def answers(chat) -> list[AnswerReply]:
    return [m.reply for m in chat.messages if isinstance(m.reply, AnswerReply)]


async def test_two_people_talking_in_the_thread_get_no_answers_and_spend_no_limits(bot, media_server):  # noqa: F811
    assistant, chat = bot
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    assert isinstance(chat.messages[0].reply, DigestReply)

    await assistant.on_message(message("nice one, watching it tonight", mid="100.2", thread="100.1", user="U2"))
    # Now a person spoke last: a question here is one person asking another.
    await assistant.on_message(message("did you see the part about hives?", mid="100.3", thread="100.1", user="U3"))
    await assistant.runner.drain()
    assert answers(chat) == [] and assistant.store.usage("user:memory:W1:U3", _long_ago()) == 0

    # A mention is always for recap, wherever it falls in the thread.
    await assistant.on_message(
        message("how many eggs does the queen lay?", mid="100.4", thread="100.1", mentions_bot=True)
    )
    await assistant.runner.drain()
    (first,) = answers(chat)
    assert "two thousand eggs" in first.answer.answer
    # Right after recap's answer, a question reads as one to recap.
    await assistant.on_message(message("And how long do the workers live?", mid="100.5", thread="100.1"))
    await assistant.runner.drain()
    assert len(answers(chat)) == 2 and "six weeks" in answers(chat)[-1].answer.answer
    # A remark after recap's answer is not a question: no answer.
    await assistant.on_message(message("thanks, that's great", mid="100.6", thread="100.1"))
    await assistant.runner.drain()
    assert len(answers(chat)) == 2


async def test_a_question_right_after_the_digest_is_answered(bot, media_server):  # noqa: F811
    assistant, chat = bot
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    await assistant.on_message(message("who invented the modern hive", mid="100.2", thread="100.1"))
    await assistant.runner.drain()
    (answer,) = answers(chat)
    assert "Langstroth" in answer.answer.answer


async def test_a_channel_can_have_every_reply_answered(bot, media_server):  # noqa: F811
    assistant, chat = bot
    said = await assistant.change_settings(CHANNEL, {"replies": "all"}, is_admin=True)
    assert "Saved." in said and "replies answered in digest threads: all" in said
    await assistant.on_message(message(media_server.url("site/bees.html")))
    await assistant.runner.drain()
    await assistant.on_message(message("ok so", mid="100.2", thread="100.1", user="U2"))
    await assistant.on_message(message("tell me about the queen's eggs", mid="100.3", thread="100.1", user="U3"))
    await assistant.runner.drain()
    assert len(answers(chat)) == 2
    refused = await assistant.change_settings(CHANNEL, {"replies": "everything"}, is_admin=True)
    assert "is not a setting recap knows" in refused and "replies addressed|all" in refused


def _long_ago():
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(days=1)
