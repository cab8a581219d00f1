"""The Discord bot for real: discord.py over a fake Discord's gateway and REST, the whole bot and
pipeline behind it. Assertions are on the REST requests Discord would receive."""

from __future__ import annotations

import asyncio
import json

import discord
import pytest

from adapters.discord import embeds
from adapters.discord.app import RecapClient
from bot.app import build_assistant
from bot.settings import Settings
from tests.support.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, point_discord_py_at, running


@pytest.fixture
async def fake():
    async with FakeDiscord(heartbeat_interval=0.2) as fake, point_discord_py_at(fake):
        yield fake


@pytest.fixture
def assistant(tmp_path):
    return build_assistant(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}",
                                    allow_private_networks=True))


def client(assistant, **kw) -> RecapClient:
    return RecapClient(assistant, guild_id=GUILD_ID, guild_ready_timeout=0.05, **kw)


async def settle(assistant) -> None:
    for _ in range(3):
        await asyncio.sleep(0.1)
        await assistant.runner.drain()


def text_of(request) -> str:
    return json.dumps(request.json, ensure_ascii=False)


async def test_a_pasted_link_gets_a_thread_with_progress_then_the_digest(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        link = media_server.url("site/bees.html")
        msg = await fake.dispatch("MESSAGE_CREATE", fake.message(f"watch this {link}"))
        await settle(assistant)

        (created,) = fake.requests_to("POST", rf"/channels/{CHANNEL_ID}/messages/{msg['id']}/threads", ok=True)
        thread_id = msg["id"]  # a thread started on a message has the message's id
        posts = fake.requests_to("POST", rf"/channels/{thread_id}/messages", ok=True)
        assert "Watching…" in posts[0].json["content"]
        edits = fake.requests_to("PATCH", rf"/channels/{thread_id}/messages/\d+", ok=True)
        final = edits[-1].json
        assert final["embeds"][0]["title"] == "The Secret Life of Honey Bees"
        assert f"]({link}#t=15)" in json.dumps(final["embeds"])
        custom_ids = [c["custom_id"] for row in final["components"] for c in row["components"]]
        assert [c.split(":")[1] for c in custom_ids] == ["full", "transcript", "ask"]
        assert fake.thread_for(msg["id"])["name"] == "The Secret Life of Honey Bees"  # renamed from "recap"
        assert not fake.requests_to(None, r".*", ok=False), "Discord refused a request"

        # A message in the thread is a follow-up question.
        await fake.dispatch("MESSAGE_CREATE", fake.message("How many eggs can the queen lay?", channel_id=thread_id))
        await settle(assistant)
        answer = fake.requests_to("POST", rf"/channels/{thread_id}/messages", ok=True)[-1]
        assert "two thousand eggs" in text_of(answer) and "#t=32)" in text_of(answer)


async def test_one_reply_per_message_and_bots_ignored(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        payload = fake.message(media_server.url("site/bees.html"))
        await fake.dispatch("MESSAGE_CREATE", payload)
        await fake.dispatch("MESSAGE_CREATE", payload, raw=True)  # delivered again after a resume
        await fake.dispatch("MESSAGE_CREATE", fake.bot_message(media_server.url("site/bees.html")))
        await settle(assistant)
        assert len(fake.requests_to("POST", r"/channels/\d+/messages/\d+/threads", ok=True)) == 1


async def test_slash_command_is_deferred_then_followed_up_in_a_new_thread(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        interaction = await fake.dispatch("INTERACTION_CREATE",
                                          fake.slash_command("recap video", {"url": media_server.url("site/bees.html")}))
        await settle(assistant)
        assert fake.interactions[interaction["id"]].response_type == 5  # deferred within 3 seconds
        followup = fake.requests_to("POST", rf"/webhooks/\d+/{interaction['token']}", ok=True)
        assert followup
        top_id = fake.interactions[interaction["id"]].original_id
        assert fake.thread_for(top_id) is not None
        edits = fake.requests_to("PATCH", rf"/channels/{top_id}/messages/\d+", ok=True)
        assert edits[-1].json["embeds"][0]["title"] == "The Secret Life of Honey Bees"


async def test_context_menu_and_buttons(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        msg = await fake.dispatch("MESSAGE_CREATE", fake.message("no link here"))
        menu = await fake.dispatch("INTERACTION_CREATE", fake.message_context_menu("Recap this video", msg))
        await settle(assistant)
        (reply,) = fake.requests_to("POST", rf"/interactions/{menu['id']}/{menu['token']}/callback", ok=True)
        assert "no video link" in text_of(reply)

        target = await fake.dispatch("MESSAGE_CREATE", fake.message(f"see {media_server.url('site/bees.html')}"))
        await settle(assistant)
        digest_msg = next(m for m in fake.bot_messages(target["id"]) if m.get("components"))
        full_id = next(c["custom_id"] for row in digest_msg["components"] for c in row["components"]
                       if c["custom_id"].startswith(embeds.FULL_DIGEST))
        await fake.dispatch("INTERACTION_CREATE", fake.component(full_id, digest_msg))
        await settle(assistant)
        last = fake.requests_to("POST", rf"/channels/{target['id']}/messages", ok=True)[-1]
        assert "Digging deeper" in text_of(last) or "Questions and answers" in text_of(last)

        ask_id = full_id.replace(embeds.FULL_DIGEST, embeds.ASK, 1)
        click = await fake.dispatch("INTERACTION_CREATE", fake.component(ask_id, digest_msg))
        await settle(assistant)
        assert fake.interactions[click["id"]].response_type == 9  # a modal
        (field,) = [c["components"][0]["custom_id"] for c in fake.modals[-1]["data"]["components"]]
        await fake.dispatch("INTERACTION_CREATE", fake.modal_submit(fields={field: "Who invented the modern hive?"},
                                                                     channel_id=target["id"]))
        await settle(assistant)
        answer = fake.requests_to("POST", rf"/channels/{target['id']}/messages", ok=True)[-1]
        assert "Langstroth" in text_of(answer) and "Who invented the modern hive?" in text_of(answer)


async def test_without_the_message_content_intent_mentions_still_work(fake, assistant, media_server):
    bot = client(assistant, message_content=False)
    async with running(bot, fake, until="guild"):
        plain = await fake.dispatch("MESSAGE_CREATE", fake.message(media_server.url("site/bees.html")))
        mention = await fake.dispatch("MESSAGE_CREATE",
                                      fake.message(f"<@{bot.user.id}> {media_server.url('site/bees.html')}"))
        await settle(assistant)
        assert fake.thread_for(plain["id"]) is None  # Discord hid its content: nothing to act on
        assert fake.thread_for(mention["id"]) is not None


async def test_recap_discord_falls_back_when_message_content_is_not_granted(tmp_path, caplog):
    from adapters.discord.run import NO_CONTENT, serve
    from tests.support.fake_discord import BOT_TOKEN

    async with FakeDiscord(heartbeat_interval=0.2, privileged=()) as fake, point_discord_py_at(fake):
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}",
                            discord_token=BOT_TOKEN, discord_api_url=fake.rest_url,
                            discord_gateway_url=fake.gateway_url, discord_guild=GUILD_ID)
        task = asyncio.create_task(serve(settings))
        try:
            for _ in range(100):
                if fake.identify and not discord.Intents._from_value(fake.intents).message_content:
                    break
                await asyncio.sleep(0.05)
            assert not discord.Intents._from_value(fake.intents).message_content
            assert NO_CONTENT in caplog.text
            assert fake.requests_to("PUT", rf"/applications/\d+/guilds/{GUILD_ID}/commands", ok=True)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def test_recap_discord_without_a_token_says_what_to_set(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert main(["discord"]) == 1
    assert "DISCORD_TOKEN" in capsys.readouterr().err


async def test_a_direct_message_is_answered_in_the_dm(fake, assistant, media_server):
    from tests.support.fake_discord import DM_CHANNEL_ID

    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        await fake.dispatch("MESSAGE_CREATE", fake.dm_message(media_server.url("site/bees.html")))
        await settle(assistant)
        assert not fake.requests_to("POST", r"/channels/\d+/messages/\d+/threads")  # DMs have no threads
        edits = fake.requests_to("PATCH", rf"/channels/{DM_CHANNEL_ID}/messages/\d+", ok=True)
        assert edits[-1].json["embeds"][0]["title"] == "The Secret Life of Honey Bees"
