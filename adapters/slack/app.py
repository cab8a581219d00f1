"""The Slack front end on slack-bolt: events, the /recap command, buttons and the ask modal, each
translated into a call on the chat-neutral `Assistant`. What to do about them is the bot's call."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.assistant import Assistant, help_text
from bot.chat import Incoming, Place

from ..links import slack_links
from . import blocks, home, tokens
from .chat import ClientFor, SlackChat, SlackRequester, web_client

if TYPE_CHECKING:
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

log = logging.getLogger(__name__)

# The message shortcut "Recap this video" (declared in deploy/slack/manifest*.yaml).
SHORTCUT_RECAP = "recap_this_video"
# Message subtypes that are a person speaking; joins, topic changes, deletions are not.
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def incoming(event: dict, body: dict, bot_user_id: str | None) -> Incoming | None:
    """A Slack message event as a neutral message, or None for events that are not someone talking."""
    subtype = event.get("subtype")
    edited = subtype == "message_changed"
    if not edited and subtype not in PERSON_SUBTYPES:
        return None
    data = event.get("message", event) if edited else event
    text = data.get("text") or ""
    mention = f"<@{bot_user_id}>" if bot_user_id else None
    team = body.get("team_id") or event.get("team") or ""
    return Incoming(
        place=Place("slack", team, event["channel"], data.get("thread_ts")),
        message_id=data.get("ts") or event["ts"],
        user=data.get("user") or "",
        text=text.replace(mention, "").strip() if mention else text,
        links=tuple(slack_links(text)),
        event_id=body.get("event_id"),
        is_dm=event.get("channel_type") == "im",
        mentions_bot=bool(mention and mention in text) or event.get("type") == "app_mention",
        from_bot=bool(data.get("bot_id"))
        or subtype == "bot_message"
        or bool(bot_user_id and data.get("user") == bot_user_id),
        is_edit=edited,
    )


def settings_changes(words: str) -> dict[str, str]:
    """`/recap settings language fr` -> {"language": "fr"}; bare `/recap settings` -> {}."""
    name, _, value = words.strip().partition(" ")
    return {name.lower(): value} if name else {}


def build_app(
    assistant: Assistant,
    *,
    token: str | None,
    signing_secret: str,
    api_url: str | None = None,
    oauth_settings: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    client = web_client(token, api_url)
    if oauth_settings is None:
        app = AsyncApp(client=client, signing_secret=signing_secret)

        async def client_for(workspace: str) -> AsyncWebClient:
            return client
    else:
        app = AsyncApp(client=web_client(None, api_url), signing_secret=signing_secret, oauth_settings=oauth_settings)
        client_for = installed_clients(oauth_settings, api_url)
        app.middleware(tokens.middleware(client_for))

    chat = SlackChat(client_for)
    assistant.add_chat("slack", chat)
    register(app, assistant, chat, client_for)
    return app


def installed_clients(oauth: AsyncOAuthSettings, api_url: str | None) -> tokens.InstalledClients:
    """Clients with each workspace's installed token, rotated before it expires (when Slack rotates
    this app's tokens: an installation with a refresh token)."""
    from .installations import SlackInstallationStore

    store = oauth.installation_store
    if not isinstance(store, SlackInstallationStore):
        raise TypeError("recap keeps Slack installations in its own sealed store")
    return tokens.installed_clients(
        store, oauth.client_id, oauth.client_secret, api_url, oauth.token_rotation_expiration_minutes
    )


def register(app: AsyncApp, assistant: Assistant, chat: SlackChat, client_for: ClientFor) -> None:
    @app.event("message")
    @app.event("app_mention")
    async def on_message(event: dict, body: dict, context: AsyncBoltContext) -> None:
        msg = incoming(event, body, context.bot_user_id)
        if msg is not None:
            await assistant.on_message(msg)

    @app.command("/recap")
    async def on_command(ack: AsyncAck, command: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        words = (command.get("text") or "").strip()
        place = Place("slack", command["team_id"], command["channel_id"])
        requester = SlackRequester(command["user_id"], place, chat, ack=ack, respond=respond)
        verb, _, rest = words.partition(" ")
        if not words or verb == "help":
            await ack(response_type="ephemeral", text=help_text("slack"))
        elif verb == "ask":
            await assistant.ask_latest(place, rest, requester)
        elif verb == "settings":
            await ack()  # users.info may take longer than the 3 seconds Slack waits for an ack
            changes = settings_changes(rest)
            admin = bool(changes) and await _is_admin(client, command["user_id"])
            await respond(response_type="ephemeral", text=await assistant.change_settings(place, changes, admin))
        elif links := slack_links(words):
            await assistant.request_digests(place, links, requester)
        else:
            await ack(response_type="ephemeral", text=f"I didn't understand that.\n{help_text('slack')}")

    @app.shortcut(SHORTCUT_RECAP)
    async def on_shortcut(ack: AsyncAck, shortcut: dict, respond: AsyncRespond) -> None:
        """ "Recap this video" on any message: its links, summarised in that message's thread."""
        await ack()
        message: dict[str, Any] = shortcut.get("message") or {}
        place = Place("slack", tokens.workspace_of(shortcut), shortcut["channel"]["id"])
        requester = SlackRequester(shortcut["user"]["id"], place, chat, respond=respond)
        root = message.get("thread_ts") or message.get("ts") or shortcut.get("message_ts")
        await assistant.request_digests(place, slack_links(message.get("text") or ""), requester, root=root)

    @app.event("app_home_opened")
    async def on_home(event: dict, body: dict, client: AsyncWebClient) -> None:
        if event.get("tab") == "home":
            await _publish_home(client, event["user"], tokens.workspace_of(body))

    @app.action(home.ACTION_OPEN_SETTINGS)
    async def on_open_settings(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        await ack()
        if await _is_admin(client, body["user"]["id"]):  # the button shows to admins only; check again
            await client.views_open(trigger_id=body["trigger_id"], view=home.settings_modal())

    @app.view(home.SETTINGS_MODAL_CALLBACK)
    async def on_settings_submit(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        channel, changes = home.submitted_settings(view["state"]["values"])
        if not channel:
            await ack(response_action="errors", errors={home.CHANNEL_BLOCK: "Pick a channel."})
            return
        await ack()
        user, team = body["user"]["id"], tokens.workspace_of(body)
        said = await assistant.change_settings(
            Place("slack", team, channel), changes, bool(changes) and await _is_admin(client, user)
        )
        await _publish_home(client, user, team, note=f"<#{channel}>: {said}")

    async def _publish_home(client: AsyncWebClient, user: str, team: str, note: str | None = None) -> None:
        digests = await assistant.recent_digests("slack", team, home.SHOWN_DIGESTS)
        base_url = (await client.auth_test()).get("url")
        view = home.home_view(digests, base_url, await _is_admin(client, user), note)
        await client.views_publish(user_id=user, view=view)

    @app.action(blocks.ACTION_FULL_DIGEST)
    async def on_full_digest(ack: AsyncAck, body: dict, action: dict) -> None:
        await ack()
        await assistant.full_digest(_thread_of(body), action["value"])

    @app.action(blocks.ACTION_TRANSCRIPT)
    async def on_transcript(ack: AsyncAck, body: dict, action: dict) -> None:
        await ack()
        await assistant.transcript(_thread_of(body), action["value"])

    @app.action(blocks.ACTION_ASK)
    async def on_ask_button(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        thread = _thread_of(body)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.ask_modal(
                await assistant.video_title(action["value"]),
                {"team": thread.workspace, "channel": thread.channel, "thread": thread.thread},
            ),
        )

    @app.view(blocks.ASK_MODAL_CALLBACK)
    async def on_ask_submit(ack: AsyncAck, body: dict, view: dict) -> None:
        await ack()
        meta = json.loads(view["private_metadata"])
        question = view["state"]["values"][blocks.QUESTION_BLOCK][blocks.QUESTION_ACTION]["value"] or ""
        thread = Place("slack", meta["team"], meta["channel"], meta["thread"])
        await assistant.ask(thread, question, SlackRequester(body["user"]["id"], thread, chat))


async def _is_admin(client: AsyncWebClient, user: str) -> bool:
    profile = (await client.users_info(user=user)).get("user") or {}
    return bool(profile.get("is_admin") or profile.get("is_owner"))


def _thread_of(body: dict) -> Place:
    """The thread a button was pressed in: the digest message's thread."""
    # Slack's JSON, as bolt hands it over.
    message: dict[str, Any] = body.get("message") or {}
    container: dict[str, Any] = body.get("container") or {}
    channel_info: dict[str, Any] = body.get("channel") or {}
    channel = channel_info.get("id") or container.get("channel_id")
    if channel is None:  # Slack sends one with every button press; a Place without one is nowhere
        raise ValueError("a button press without a channel")
    thread = message.get("thread_ts") or container.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return Place("slack", tokens.workspace_of(body), channel, thread)
