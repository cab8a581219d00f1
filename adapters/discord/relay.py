"""Replies through the interaction, where recap may not post in the channel itself.

A person who installed recap to their own account can use it in any server, in group DMs and in
DMs with others; recap is no member there, so it cannot post in those channels or start threads
in them. What it may do is answer the interaction: its response, then follow-up messages, which it
may edit and delete, for the 15 minutes Discord keeps an interaction's token.

Such a place is `Place(..., thread="@<interaction id>")`: the interaction that began the
conversation (a button under a digest names it, through its message's interaction metadata, so a
click continues the same conversation). The tokens stay in this process's memory only, never in the
database or a log: a job that outlives its token, or that a worker process runs, cannot reply, and
says so in the log (CannotPost), like a job whose channel went away.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord
from discord.utils import utcnow

from bot.chat import CannotPost, Notice, Place, Reply, Sent, TranscriptFile, render

from . import embeds

RELAYED = "@"  # the mark of a Place.thread that is an interaction, not a Discord thread
EXPIRED = "Discord no longer lets recap answer that request (its interactions last 15 minutes); ask again."
NOT_ALLOWED = "Discord did not let recap answer here."
INVALID_TOKEN = 50027  # "Invalid Webhook Token": the interaction's token has expired


def relayed(place: Place) -> bool:
    return bool(place.thread and place.thread.startswith(RELAYED))


def relayed_place(interaction: discord.Interaction) -> Place:
    """The conversation an interaction belongs to where recap answers only through interactions."""
    origin = interaction.id
    message = interaction.message
    if message is not None and message.interaction_metadata is not None:  # a button under recap's reply
        origin = message.interaction_metadata.id
    workspace = str(interaction.guild_id) if interaction.guild_id else "dm"
    return Place("discord", workspace, str(interaction.channel_id), f"{RELAYED}{origin}")


@dataclass(frozen=True)
class _Hook:
    webhook: discord.Webhook
    expires: datetime
    user: str  # whose interaction it is: only they can be answered privately through it


class Relays:
    """The live interactions of relayed places, and which one posted each message (only the
    interaction that made a message may edit it)."""

    def __init__(self) -> None:
        self._places: dict[tuple[str, str | None], _Hook] = {}
        self._messages: dict[str, _Hook] = {}

    def add(self, place: Place, interaction: discord.Interaction) -> None:
        """`interaction` answers for `place` from now on (the latest one in a conversation does)."""
        now = utcnow()  # expired tokens are useless: forget them, so the books stay small
        self._places = {k: hook for k, hook in self._places.items() if hook.expires > now}
        self._messages = {k: hook for k, hook in self._messages.items() if hook.expires > now}
        hook = _Hook(interaction.followup, interaction.expires_at, str(interaction.user.id))
        self._places[(place.channel, place.thread)] = hook

    async def post(self, place: Place, reply: Reply) -> Sent:
        hook = self._live(self._places.get((place.channel, place.thread)))
        first, *rest = render(reply, embeds)
        message = await self._send(hook, embeds.to_discord(first))
        for page in rest:
            await self._send(hook, embeds.to_discord(page))
        return Sent(place, str(message.id))

    async def update(self, sent: Sent, reply: Reply) -> None:
        hook = self._live(self._messages.get(sent.message_id))
        first, *rest = render(reply, embeds)
        with _refusals():
            await hook.webhook.edit_message(int(sent.message_id), **embeds.to_discord(first))
        for page in rest:
            await self._send(hook, embeds.to_discord(page))

    async def delete(self, sent: Sent) -> None:
        hook = self._messages.get(sent.message_id)
        if hook is None or hook.expires <= utcnow():
            return  # it stays: nothing else may remove it
        try:
            await hook.webhook.delete_message(int(sent.message_id))
        except discord.NotFound:
            pass  # deleted already

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        hook = self._live(self._places.get((place.channel, place.thread)))
        data = discord.File(io.BytesIO(file.text.encode()), filename=file.filename)
        await self._send(hook, {"file": data, "allowed_mentions": discord.AllowedMentions.none()})

    async def whisper(self, place: Place, user: str, text: str) -> None:
        """Privately when the latest interaction is `user`'s (follow-ups may be ephemeral); else in
        the open, as DiscordChat does where there is no interaction."""
        hook = self._live(self._places.get((place.channel, place.thread)))
        if hook.user != user:
            await self.post(place, Notice(text))
            return
        page = embeds.to_discord(embeds.notice_message(text))
        await self._send(hook, {**page, "ephemeral": True})

    def _live(self, hook: _Hook | None) -> _Hook:
        if hook is None or hook.expires <= utcnow():
            raise CannotPost(EXPIRED)
        return hook

    async def _send(self, hook: _Hook, kwargs: dict[str, Any]) -> discord.WebhookMessage:
        with _refusals():
            message = await hook.webhook.send(wait=True, **kwargs)
        self._messages[str(message.id)] = hook
        return message


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """Discord's refusals of an interaction's webhook, as recap's "cannot post here"."""
    try:
        yield
    except discord.NotFound as exc:  # the interaction is gone
        raise CannotPost(EXPIRED) from exc
    except discord.Forbidden as exc:
        raise CannotPost(NOT_ALLOWED) from exc
    except discord.HTTPException as exc:
        if exc.code == INVALID_TOKEN:
            raise CannotPost(EXPIRED) from exc
        raise
