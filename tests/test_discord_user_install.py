"""recap installed to a person's account, used in a server recap is no member of: it cannot post in
that channel or start a thread there, so everything goes through the interaction (its response and
follow-ups), and the buttons under the digest carry on the same conversation."""

from __future__ import annotations

import pytest

from adapters.discord.app import NO_RELAY
from adapters.discord.relay import Relays
from bot.chat import CannotPost, Notice, Place
from tests.support.discord_bot import client, fake_discord, new_assistant, settle, text_of
from tests.support.fake_discord import ALICE_ID, APP_ID, CHANNEL_ID, DM_CHANNEL_ID, running

ELSEWHERE_GUILD = "1300000000000009000"  # a server that did not install recap
ELSEWHERE_CHANNEL = "1300000000000009001"
USER_INSTALL = "1"


@pytest.fixture
async def fake():
    async with fake_discord() as fake:
        yield fake


def user_installed(fake, payload: dict) -> dict:
    """`payload` as Discord sends it from a server where only the person installed recap: its
    channel is a text channel like #general, of another server."""
    channel = {
        **fake.channels[str(CHANNEL_ID)],
        "id": ELSEWHERE_CHANNEL,
        "guild_id": ELSEWHERE_GUILD,
        "name": "elsewhere",
    }
    payload.update(
        guild_id=ELSEWHERE_GUILD,
        guild={"id": ELSEWHERE_GUILD, "locale": "en-US", "features": []},
        channel_id=ELSEWHERE_CHANNEL,
        channel=channel,
        authorizing_integration_owners={USER_INSTALL: str(ALICE_ID)},
        app_permissions="0",
    )
    if payload.get("message"):
        payload["message"] = {**payload["message"], "channel_id": ELSEWHERE_CHANNEL}
    return payload


def webhook_posts(fake, interaction: dict) -> list:
    return fake.requests_to("POST", rf"/webhooks/{APP_ID}/{interaction['token']}", ok=True)


async def test_a_user_install_is_answered_through_the_interaction(fake, tmp_path, media_server):
    assistant = new_assistant(tmp_path)
    async with running(client(assistant, guild_id=None), fake, until="guild"):  # user installs: global commands
        url = media_server.url("site/bees.html")
        command = await fake.dispatch(
            "INTERACTION_CREATE", user_installed(fake, fake.slash_command("recap video", {"url": url}))
        )
        await settle(assistant, 1)
        record = fake.interactions[command["id"]]
        assert record.response_type == 4 and record.response["data"]["flags"] & 64  # "On it", privately
        posts = webhook_posts(fake, command)
        assert "Watching…" in posts[0].json["content"]
        watching = posts[0].response["id"]  # deleted once the digest is posted, through the same interaction
        assert fake.requests_to("DELETE", rf"/webhooks/{APP_ID}/{command['token']}/messages/{watching}", ok=True)
        shown = next(m for m in fake.bot_messages(ELSEWHERE_CHANNEL) if m.get("embeds"))  # as people see it
        assert shown["embeds"][0]["title"] == "The Secret Life of Honey Bees"
        assert not fake.requests_to(None, r"/channels/.*"), "recap is no member there: nothing goes to the channel"

        # The digest's buttons continue the conversation through their own interactions.
        full_id = next(
            c["custom_id"] for row in shown["components"] for c in row["components"] if ":full:" in c["custom_id"]
        )
        click = await fake.dispatch("INTERACTION_CREATE", user_installed(fake, fake.component(full_id, shown)))
        await settle(assistant, 2)
        assert fake.interactions[click["id"]].response_type == 6
        full = webhook_posts(fake, click)
        assert full and ("Digging deeper" in text_of(full[0]) or "Questions and answers" in text_of(full[0]))

        ask = await fake.dispatch(
            "INTERACTION_CREATE", user_installed(fake, fake.component(full_id.replace(":full:", ":ask:"), shown))
        )
        await fake.wait_for("POST", rf"/interactions/{ask['id']}/{ask['token']}/callback")
        (field,) = [c["components"][0]["custom_id"] for c in fake.modals[-1]["data"]["components"]]
        submit = await fake.dispatch(
            "INTERACTION_CREATE",
            user_installed(fake, fake.modal_submit(fields={field: "Who invented the modern hive?"})),
        )
        await settle(assistant, 3)
        (answer,) = webhook_posts(fake, submit)  # "Looking into it…" was the private response
        assert "Langstroth" in text_of(answer)
        assert not fake.requests_to(None, r"/channels/.*")
        assert not fake.requests_to(None, r".*", ok=False), "Discord refused a request"


async def test_the_message_menu_and_a_dm_with_only_the_user_install_answer_through_the_interaction(
    fake, tmp_path, media_server
):
    assistant = new_assistant(tmp_path)
    async with running(client(assistant, guild_id=None), fake, until="guild"):
        url = media_server.url("site/bees.html")
        target = {**fake.message(f"look {url}"), "channel_id": ELSEWHERE_CHANNEL}
        menu = await fake.dispatch(
            "INTERACTION_CREATE",
            user_installed(fake, fake.message_context_menu("Recap this video", target, channel_id=ELSEWHERE_CHANNEL)),
        )
        dm = fake.slash_command("recap video", {"url": url}, channel_id=DM_CHANNEL_ID)
        dm["authorizing_integration_owners"] = {USER_INSTALL: str(ALICE_ID)}  # the person's install, not a server's
        dm = await fake.dispatch("INTERACTION_CREATE", dm)
        await settle(assistant, 2)
        for interaction in (menu, dm):
            assert fake.interactions[interaction["id"]].response["data"]["flags"] & 64  # "On it", privately
            posts = webhook_posts(fake, interaction)
            assert posts and "Watching…" in posts[0].json["content"]
        titles = [m["embeds"][0]["title"] for m in fake.bot_messages(ELSEWHERE_CHANNEL) if m.get("embeds")]
        assert titles == ["The Secret Life of Honey Bees"]
        assert any(m.get("embeds") for m in fake.bot_messages(DM_CHANNEL_ID))
        assert not fake.requests_to(None, r"/channels/.*"), "no thread, no post: only the interactions answer"
        assert not fake.requests_to(None, r".*", ok=False), "Discord refused a request"


async def test_where_workers_post_the_replies_a_user_install_is_told_at_once(fake, tmp_path, media_server):
    """Workers post through REST and hold no interaction: rather than "On it" and then silence."""
    assistant = new_assistant(tmp_path)
    async with running(client(assistant, guild_id=None, relay_interactions=False), fake, until="guild"):
        url = media_server.url("site/bees.html")
        command = user_installed(fake, fake.slash_command("recap video", {"url": url}))
        command = await fake.dispatch("INTERACTION_CREATE", command)
        (callback,) = await fake.wait_for("POST", rf"/interactions/{command['id']}/{command['token']}/callback")
        assert callback.json["data"]["content"] == NO_RELAY and callback.json["data"]["flags"] & 64
        await assistant.runner.drain()
        assert not webhook_posts(fake, command) and not fake.requests_to(None, r"/channels/.*")

        here = await fake.dispatch("INTERACTION_CREATE", fake.slash_command("recap video", {"url": url}))
        await settle(assistant, 1)  # where recap is a member, workers post as ever
        assert "On it" in fake.interactions[here["id"]].response["data"]["content"]


async def test_a_reply_without_a_live_interaction_cannot_post():
    """After a restart, in a worker, or 15 minutes on, the token is gone: recap says it cannot post
    (the job logs it and releases the link), rather than posting somewhere else."""
    place = Place("discord", ELSEWHERE_GUILD, ELSEWHERE_CHANNEL, "@1300000000000009002")
    with pytest.raises(CannotPost, match="15 minutes"):
        await Relays().post(place, Notice("hello"))
