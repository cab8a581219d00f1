"""The buttons under a digest are discord.py dynamic items: matched by a template on their custom
id, so they work in a process that never sent them, keep no view per message, and an id that is
not one of recap's (hostile, damaged, another app's, an older recap's) is answered, never acted on."""

from __future__ import annotations

import pytest

from adapters.discord.app import STALE_BUTTON
from adapters.discord.buttons import TEMPLATE
from tests.support.discord_bot import client, fake_discord, new_assistant, settle
from tests.support.fake_discord import running

HOSTILE = [
    "recap:full:youtube:" + "a" * 200,  # longer than Discord's 100 characters
    "recap:full:youtube:" + "a" * 82,  # 101 characters
    "recap:full:",
    "recap:full",
    "recap:full:javascript:alert(1)",  # no kind of video key
    "recap:full:youtube:dQw4w9WgXcQ\n",
    "recap:full:youtube:dQw4w9WgXcQ <@&1>",
    "recap:ask-modal:youtube:dQw4w9WgXcQ",  # the modal's id on a button
    "recap:delete:youtube:dQw4w9WgXcQ",  # an action recap has not got
    "other-app:full:youtube:dQw4w9WgXcQ",
    "recap-v0:full:youtube:x",  # an older recap's
    "",
]


@pytest.fixture
async def fake():
    async with fake_discord() as fake:
        yield fake


def test_the_template_takes_recaps_ids_only():
    assert TEMPLATE.fullmatch("recap:full:youtube:dQw4w9WgXcQ")["key"] == "youtube:dQw4w9WgXcQ"
    assert TEMPLATE.fullmatch("recap:transcript:vimeo:76979871:8272103f6e")["action"] == "recap:transcript"
    assert TEMPLATE.fullmatch("recap:ask:url:" + "0" * 83) is not None  # exactly 100 characters
    assert [h for h in HOSTILE if TEMPLATE.fullmatch(h)] == []


async def test_hostile_custom_ids_are_answered_privately_and_do_nothing(fake, tmp_path, caplog):
    assistant = new_assistant(tmp_path)
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        for custom_id in HOSTILE:
            button = {"type": 2, "style": 2, "label": "Full digest", "custom_id": custom_id or "x"}
            old = await fake.dispatch(
                "MESSAGE_CREATE", fake.bot_message("a digest", components=[{"type": 1, "components": [button]}])
            )
            payload = fake.component(custom_id or "x", old)
            payload["data"]["custom_id"] = custom_id  # as sent, whatever a message could hold
            click = await fake.dispatch("INTERACTION_CREATE", payload)
            (callback,) = await fake.wait_for("POST", rf"/interactions/{click['id']}/{click['token']}/callback")
            assert callback.json["data"]["content"] == STALE_BUTTON and callback.json["data"]["flags"] & 64
        assert assistant.handled.count == 0  # none of them reached the bot
        assert not fake.requests_to("POST", r"/channels/\d+/messages")
    assert "Ignoring exception" not in caplog.text and "Traceback" not in caplog.text


async def test_a_button_sent_by_another_process_works_and_no_view_is_kept(fake, tmp_path, media_server):
    """The digest's message was sent before a restart: this client never saw it."""
    assistant = new_assistant(tmp_path)
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        button = {"type": 2, "style": 1, "label": "Full digest", "custom_id": "recap:full:youtube:dQw4w9WgXcQ"}
        old = await fake.dispatch(
            "MESSAGE_CREATE", fake.bot_message("a digest", components=[{"type": 1, "components": [button]}])
        )
        click = await fake.dispatch("INTERACTION_CREATE", fake.component(button["custom_id"], old))
        await settle(assistant, 1)
        assert fake.interactions[click["id"]].response_type == 6  # acknowledged, then answered in the channel
        (notice,) = fake.requests_to("POST", rf"/channels/{old['channel_id']}/messages", ok=True)
        assert "no longer stored" in notice.json["content"]  # full_digest ran for that key

        # A digest sent now carries its buttons, and the client keeps no view for its message.
        msg = await fake.dispatch("MESSAGE_CREATE", fake.message(f"see {media_server.url('site/bees.html')}"))
        await settle(assistant, 2)
        assert any(m.get("components") for m in fake.bot_messages(msg["id"]))
        assert bot.persistent_views == []
