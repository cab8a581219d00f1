"""The Slack front end on slack-bolt: events, the /recap command, buttons and the ask modal,
each translated into a call on the chat-neutral `Assistant`. Nothing here decides anything."""

from __future__ import annotations

import json
import logging
import re

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.assistant import HELP, Assistant
from bot.chat import Incoming, Notice, Place
from bot.chatstore import ChannelSettings
from summarizer.links import find_links

from . import blocks
from .chat import SlackChat

log = logging.getLogger(__name__)

# Message subtypes that are a person speaking; joins, topic changes, deletions are not.
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def web_client(token: str | None, api_url: str | None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_url or AsyncWebClient.BASE_URL)
    # chat.postMessage and chat.update answer 429 with Retry-After under load: wait and retry.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


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
        event_id=body.get("event_id"),
        is_dm=event.get("channel_type") == "im",
        mentions_bot=bool(mention and mention in text) or event.get("type") == "app_mention",
        from_bot=bool(data.get("bot_id")) or subtype == "bot_message" or (bot_user_id and data.get("user") == bot_user_id),
        is_edit=edited,
    )


def build_app(assistant: Assistant, *, token: str | None, signing_secret: str, api_url: str | None = None,
              oauth_settings=None) -> AsyncApp:
    client = web_client(token, api_url)
    if oauth_settings is None:
        app = AsyncApp(client=client, signing_secret=signing_secret)

        async def client_for(workspace: str) -> AsyncWebClient:
            return client
    else:
        app = AsyncApp(client=web_client(None, api_url), signing_secret=signing_secret, oauth_settings=oauth_settings)
        store = oauth_settings.installation_store

        async def client_for(workspace: str) -> AsyncWebClient:
            installation = await store.async_find_bot(enterprise_id=None, team_id=workspace)
            return web_client(installation.bot_token if installation else None, api_url)

    assistant.add_chat("slack", SlackChat(client_for))
    chat = assistant.chats["slack"]

    @app.event("message")
    @app.event("app_mention")
    async def on_message(event, body, context):
        msg = incoming(event, body, context.bot_user_id)
        if msg is not None:
            await assistant.on_message(msg)

    @app.command("/recap")
    async def on_command(ack, command, client, respond):
        words = (command.get("text") or "").strip()
        place = Place("slack", command["team_id"], command["channel_id"])
        verb, _, rest = words.partition(" ")
        if not words or verb == "help":
            await ack(response_type="ephemeral", text=HELP)
        elif verb == "ask":
            await ack(response_type="ephemeral", text="Looking into it…")
            found = assistant.store.last_thread(place)
            if found is None:
                await respond(response_type="ephemeral", text="No video has been summarised in this channel yet.")
            else:
                await assistant.ask(found[0], rest, command["user_id"], found[1], show_question=True)
        elif verb == "settings":
            await ack()
            await respond(response_type="ephemeral",
                          text=await _settings(assistant, client, place, command["user_id"], rest))
        elif links := find_links(words):
            await ack(response_type="ephemeral", text="On it: the digest will appear in a thread in this channel.")
            for url in links:
                top = await chat.post(place, Notice(f"Digest of {url} for <@{command['user_id']}>"))
                thread = Place("slack", place.workspace, place.channel, top.message_id)
                await assistant.summarize(thread, url, command["user_id"], origin=top.message_id)
        else:
            await ack(response_type="ephemeral", text=f"I didn't understand that.\n{HELP}")

    @app.action(blocks.ACTION_FULL_DIGEST)
    async def on_full_digest(ack, body, action):
        await ack()
        await assistant.full_digest(_thread_of(body), action["value"])

    @app.action(blocks.ACTION_TRANSCRIPT)
    async def on_transcript(ack, body, action):
        await ack()
        await assistant.transcript(_thread_of(body), action["value"])

    @app.action(blocks.ACTION_ASK)
    async def on_ask_button(ack, body, action, client):
        await ack()
        thread = _thread_of(body)
        stored = assistant.service.store.transcript(action["value"])
        title = stored[0].title if stored else "this video"
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.ask_modal(
            action["value"], title, {"team": thread.workspace, "channel": thread.channel, "thread": thread.thread}))

    @app.view(blocks.ASK_MODAL_CALLBACK)
    async def on_ask_submit(ack, body, view):
        await ack()
        meta = json.loads(view["private_metadata"])
        question = view["state"]["values"][blocks.QUESTION_BLOCK][blocks.QUESTION_ACTION]["value"] or ""
        thread = Place("slack", meta["team"], meta["channel"], meta["thread"])
        await assistant.ask(thread, question, body["user"]["id"], show_question=True)

    return app


def _thread_of(body: dict) -> Place:
    """The thread a button was pressed in: the digest message's thread."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread = message.get("thread_ts") or container.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return Place("slack", (body.get("team") or {}).get("id") or "", channel, thread)


SETTINGS_USAGE = ("Usage: /recap settings auto on|off · /recap settings language CODE|default · "
                  "/recap settings writer extractive|claude|default")


async def _settings(assistant: Assistant, client: AsyncWebClient, place: Place, user: str, words: str) -> str:
    current = assistant.store.settings(place)
    if not words:
        return (f"In this channel: auto-summarise pasted links {'on' if current.auto_summarize else 'off'}, "
                f"language {current.language or 'of each video'}, writer {current.writer or 'default'}.\n"
                + SETTINGS_USAGE)
    profile = (await client.users_info(user=user)).get("user") or {}
    if not (profile.get("is_admin") or profile.get("is_owner")):
        return "Only workspace admins can change recap's settings."
    key, _, value = words.partition(" ")
    value = value.strip().lower()
    if key == "auto" and value in ("on", "off"):
        updated = ChannelSettings(value == "on", current.language, current.writer)
    elif key == "language" and re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?|default", value):
        updated = ChannelSettings(current.auto_summarize, None if value == "default" else value, current.writer)
    elif key == "writer" and value in ("extractive", "claude", "default"):
        updated = ChannelSettings(current.auto_summarize, current.language, None if value == "default" else value)
    else:
        return SETTINGS_USAGE
    assistant.store.save_settings(place, updated)
    return f"Saved: {key} {value}."
