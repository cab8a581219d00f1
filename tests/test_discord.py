"""The Discord bot for real: discord.py over a fake Discord's gateway and REST, the whole bot and
pipeline behind it. Assertions are on the REST requests Discord would receive."""

from __future__ import annotations

import asyncio
import json

import discord
import pytest

from adapters.discord import embeds
from bot.app import build_assistant
from bot.settings import Settings
from tests.support.discord_bot import client, fake_discord, new_assistant, settle, text_of
from tests.support.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, point_discord_py_at, running


@pytest.fixture
async def fake():
    async with fake_discord() as fake:
        yield fake


@pytest.fixture
def assistant(tmp_path):
    return new_assistant(tmp_path)


async def test_a_pasted_link_gets_a_thread_with_progress_then_the_digest(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        link = media_server.url("site/bees.html")
        msg = await fake.dispatch("MESSAGE_CREATE", fake.message(f"watch this {link}"))
        await settle(assistant, 1)

        (created,) = fake.requests_to("POST", rf"/channels/{CHANNEL_ID}/messages/{msg['id']}/threads", ok=True)
        thread_id = msg["id"]  # a thread started on a message has the message's id
        posts = fake.requests_to("POST", rf"/channels/{thread_id}/messages", ok=True)
        assert "Watching…" in posts[0].json["content"]
        # The digest is a new message (an edit notifies nobody) and "Watching…" is deleted.
        (shown,) = fake.bot_messages(thread_id)
        (deleted,) = fake.requests_to("DELETE", rf"/channels/{thread_id}/messages/\d+", ok=True)
        assert deleted.path.endswith(f"/{posts[0].response['id']}") and shown["id"] != posts[0].response["id"]
        final = posts[-1].json
        assert shown["embeds"][0]["title"] == final["embeds"][0]["title"]
        assert final["embeds"][0]["title"] == "The Secret Life of Honey Bees"
        assert f"]({link}#t=15)" in json.dumps(final["embeds"])
        custom_ids = [c["custom_id"] for row in final["components"] for c in row["components"]]
        assert [c.split(":")[1] for c in custom_ids] == ["full", "transcript", "ask"]
        assert fake.thread_for(msg["id"])["name"] == "The Secret Life of Honey Bees"  # renamed from "recap"
        assert not fake.requests_to(None, r".*", ok=False), "Discord refused a request"

        # A message in the thread is a follow-up question.
        await fake.dispatch("MESSAGE_CREATE", fake.message("How many eggs can the queen lay?", channel_id=thread_id))
        await settle(assistant, 2)
        answer = fake.requests_to("POST", rf"/channels/{thread_id}/messages", ok=True)[-1]
        assert "two thousand eggs" in text_of(answer) and "#t=32)" in text_of(answer)


async def test_one_reply_per_message_and_bots_ignored(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        payload = fake.message(media_server.url("site/bees.html"))
        await fake.dispatch("MESSAGE_CREATE", payload)
        await fake.dispatch("MESSAGE_CREATE", payload, raw=True)  # delivered again after a resume
        await fake.dispatch("MESSAGE_CREATE", fake.bot_message(media_server.url("site/bees.html")))
        await settle(assistant, 2)  # recap's own message never reaches the bot
        assert len(fake.requests_to("POST", r"/channels/\d+/messages/\d+/threads", ok=True)) == 1


async def test_slash_command_is_answered_privately_then_threads_on_a_public_follow_up(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        interaction = await fake.dispatch(
            "INTERACTION_CREATE", fake.slash_command("recap video", {"url": media_server.url("site/bees.html")})
        )
        await settle(assistant, 1)
        record = fake.interactions[interaction["id"]]
        assert record.response_type == 4 and record.response["data"]["flags"] & 64  # answered at once, privately
        assert "On it" in record.response["data"]["content"]
        (followup,) = fake.requests_to("POST", rf"/webhooks/\d+/{interaction['token']}", ok=True)
        assert f"<@{interaction['member']['user']['id']}>" in followup.json["content"]
        (top_id,) = record.followup_ids
        assert fake.thread_for(top_id) is not None
        (digest,) = fake.bot_messages(top_id)  # the thread holds the digest alone, "Watching…" deleted
        assert digest["embeds"][0]["title"] == "The Secret Life of Honey Bees"


async def test_context_menu_and_buttons(fake, assistant, media_server):
    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        msg = await fake.dispatch("MESSAGE_CREATE", fake.message("no link here"))
        menu = await fake.dispatch("INTERACTION_CREATE", fake.message_context_menu("Recap this video", msg))
        await settle(assistant, 2)
        (reply,) = fake.requests_to("POST", rf"/interactions/{menu['id']}/{menu['token']}/callback", ok=True)
        assert "no video link" in text_of(reply)

        target = await fake.dispatch("MESSAGE_CREATE", fake.message(f"see {media_server.url('site/bees.html')}"))
        await settle(assistant, 3)
        digest_msg = next(m for m in fake.bot_messages(target["id"]) if m.get("components"))
        full_id = next(
            c["custom_id"]
            for row in digest_msg["components"]
            for c in row["components"]
            if c["custom_id"].startswith(embeds.FULL_DIGEST)
        )
        await fake.dispatch("INTERACTION_CREATE", fake.component(full_id, digest_msg))
        await settle(assistant, 4)
        last = fake.requests_to("POST", rf"/channels/{target['id']}/messages", ok=True)[-1]
        assert "Digging deeper" in text_of(last) or "Questions and answers" in text_of(last)

        ask_id = full_id.replace(embeds.FULL_DIGEST, embeds.ASK, 1)
        click = await fake.dispatch("INTERACTION_CREATE", fake.component(ask_id, digest_msg))
        await fake.wait_for("POST", rf"/interactions/{click['id']}/{click['token']}/callback")
        assert fake.interactions[click["id"]].response_type == 9  # a modal
        (field,) = [c["components"][0]["custom_id"] for c in fake.modals[-1]["data"]["components"]]
        await fake.dispatch(
            "INTERACTION_CREATE",
            fake.modal_submit(fields={field: "Who invented the modern hive?"}, channel_id=target["id"]),
        )
        await settle(assistant, 5)
        answer = fake.requests_to("POST", rf"/channels/{target['id']}/messages", ok=True)[-1]
        assert "Langstroth" in text_of(answer) and "Who invented the modern hive?" in text_of(answer)


async def test_without_the_message_content_intent_mentions_still_work(fake, assistant, media_server):
    bot = client(assistant, message_content=False)
    async with running(bot, fake, until="guild"):
        plain = await fake.dispatch("MESSAGE_CREATE", fake.message(media_server.url("site/bees.html")))
        mention = await fake.dispatch(
            "MESSAGE_CREATE", fake.message(f"<@{bot.user.id}> {media_server.url('site/bees.html')}")
        )
        await settle(assistant, 2)
        assert fake.thread_for(plain["id"]) is None  # Discord hid its content: nothing to act on
        assert fake.thread_for(mention["id"]) is not None


async def test_recap_discord_falls_back_when_message_content_is_not_granted(tmp_path, caplog):
    from adapters.discord.run import NO_CONTENT, serve
    from tests.support.fake_discord import BOT_TOKEN

    async with FakeDiscord(heartbeat_interval=0.2, privileged=()) as fake, point_discord_py_at(fake):
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}",
            discord_token=BOT_TOKEN,
            discord_api_url=fake.rest_url,
            discord_gateway_url=fake.gateway_url,
            discord_guild=GUILD_ID,
        )
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
    from adapters.cli.commands import main

    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert main(["discord"]) == 1
    assert "DISCORD_TOKEN" in capsys.readouterr().err


async def test_a_direct_message_is_answered_in_the_dm(fake, assistant, media_server):
    from tests.support.fake_discord import DM_CHANNEL_ID

    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        await fake.dispatch("MESSAGE_CREATE", fake.dm_message(media_server.url("site/bees.html")))
        await settle(assistant, 1)
        assert not fake.requests_to("POST", r"/channels/\d+/messages/\d+/threads")  # DMs have no threads
        (digest,) = fake.bot_messages(DM_CHANNEL_ID)  # posted anew, "Watching…" deleted
        assert digest["embeds"][0]["title"] == "The Secret Life of Honey Bees"


async def test_user_text_echoed_by_recap_pings_nobody(fake, assistant, media_server):
    bot = client(assistant)
    assert bot.allowed_mentions.to_dict() == {"parse": []}  # the client's default: no pings at all
    async with running(bot, fake, until="guild"):
        hostile = f"@everyone <@&42> [log in]({media_server.url('site/missing.html')}) @here"
        interaction = await fake.dispatch("INTERACTION_CREATE", fake.slash_command("recap video", {"url": hostile}))
        await settle(assistant, 1)
        (followup,) = fake.requests_to("POST", rf"/webhooks/\d+/{interaction['token']}", ok=True)
        content = followup.json["content"]
        assert "@everyone" not in content and "@here" not in content and "<@&42>" not in content
        asker = interaction["member"]["user"]["id"]
        assert followup.json["allowed_mentions"] == {"parse": [], "users": [int(asker)]}  # the asker, nobody else

        plain = await fake.dispatch("INTERACTION_CREATE", fake.slash_command("recap video", {"url": "@everyone hi"}))
        await settle(assistant, 2)
        record = fake.interactions[plain["id"]]
        assert record.response["data"]["flags"] & 64 and "no video link" in record.response["data"]["content"]
        assert record.followup_ids == []  # nothing public, no thread


async def test_a_channel_without_thread_permission_is_told_privately(tmp_path, media_server):
    from tests.support.fake_discord.constants import BOT_PERMISSIONS, CREATE_PUBLIC_THREADS, EVERYONE_PERMISSIONS

    no_threads = ~CREATE_PUBLIC_THREADS
    async with (
        FakeDiscord(
            heartbeat_interval=0.2,
            bot_permissions=BOT_PERMISSIONS & no_threads,
            everyone_permissions=EVERYONE_PERMISSIONS & no_threads,
        ) as fake,
        point_discord_py_at(fake),
    ):
        assistant = build_assistant(
            Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", allow_private_networks=True)
        )
        bot = client(assistant)
        async with running(bot, fake, until="guild"):
            interaction = await fake.dispatch(
                "INTERACTION_CREATE", fake.slash_command("recap video", {"url": media_server.url("site/bees.html")})
            )
            await settle(assistant, 1)
            record = fake.interactions[interaction["id"]]
            told = [record.response["data"]["content"]] + [
                r.json["content"] for r in fake.requests_to("POST", rf"/webhooks/\d+/{interaction['token']}")
            ]
            assert "Create Public Threads" in told[-1]
            assert not fake.requests_to("POST", r"/channels/\d+/messages/\d+/threads")
            assert not fake.requests_to("POST", r"/channels/\d+/messages")


async def test_a_button_recap_does_not_know_is_answered_not_crashed_on(fake, assistant, caplog):
    from adapters.discord.app import STALE_BUTTON

    bot = client(assistant)
    async with running(bot, fake, until="guild"):
        button = {"type": 2, "style": 2, "label": "Full digest", "custom_id": "recap-v0:full:youtube:x"}
        old = await fake.dispatch(
            "MESSAGE_CREATE", fake.bot_message("an old digest", components=[{"type": 1, "components": [button]}])
        )
        click = await fake.dispatch("INTERACTION_CREATE", fake.component("recap-v0:full:youtube:x", old))
        (callback,) = await fake.wait_for("POST", rf"/interactions/{click['id']}/{click['token']}/callback")
        assert callback.json["data"]["content"] == STALE_BUTTON and callback.json["data"]["flags"] & 64
        assert "Ignoring exception" not in caplog.text
