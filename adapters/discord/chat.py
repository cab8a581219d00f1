"""DiscordChat: recap's neutral replies as Discord messages with embeds and buttons.

Threads: recap's neutral "thread rooted at message M" becomes a Discord thread started on M,
whose channel id is M's id (Discord gives a thread started from a message the message's id).
Where there can be no thread (DMs) recap replies to the message in place.
"""

from __future__ import annotations

import io
import logging

import discord

from bot.chat import CannotPost, DigestReply, FullDigestReply, Notice, Place, Reply, Sent, TranscriptFile, render

from . import embeds
from .relay import Relays, relayed

log = logging.getLogger(__name__)

THREAD_EXISTS = 160004  # "A thread has already been created for this message"
NO_ENTRY = (
    "I may not post or start threads here: give recap the Send Messages, Create Public Threads and "
    "Send Messages in Threads permissions in this channel."
)
THREAD_NAME_MAX = 100
PLACEHOLDER = "recap"  # a thread's name until the video's title is known

# What discord.py's get_channel and fetch_channel give.
Channel = discord.abc.GuildChannel | discord.Thread | discord.abc.PrivateChannel
# The channels whose messages recap edits (text in voice channels included). A forum is only ever
# the parent of a thread, where the thread is the place posted in.
Editable = discord.TextChannel | discord.VoiceChannel | discord.StageChannel | discord.Thread | discord.DMChannel
_EDITABLE = (discord.TextChannel, discord.VoiceChannel, discord.StageChannel, discord.Thread, discord.DMChannel)


class DiscordChat:
    def __init__(self, client: discord.Client) -> None:
        self.client = client
        # Where recap is no member, interactions answer (relay.py); a worker's chat holds none.
        self.relays = Relays()

    async def post(self, place: Place, reply: Reply) -> Sent:
        if relayed(place):
            return await self.relays.post(place, reply)
        try:
            target = await self._target(place, reply)
            sent = await self._send_pages(target, render(reply, embeds))
        except discord.Forbidden as exc:
            raise CannotPost(NO_ENTRY) from exc
        await _name_thread(target, reply)
        return Sent(place, str(sent.id))

    async def update(self, sent: Sent, reply: Reply) -> None:
        if relayed(sent.place):
            return await self.relays.update(sent, reply)
        channel = await self._where(sent.place)
        first, *rest = render(reply, embeds)
        await channel.get_partial_message(int(sent.message_id)).edit(**embeds.to_discord(first))
        if rest:
            await self._send_pages(channel, rest)
        await _name_thread(channel, reply)

    async def delete(self, sent: Sent) -> None:
        if relayed(sent.place):
            return await self.relays.delete(sent)
        channel = await self._where(sent.place)
        try:
            await channel.get_partial_message(int(sent.message_id)).delete()
        except discord.NotFound:  # deleted already (by a person, or an earlier run of a resumed job)
            pass

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        if relayed(place):
            return await self.relays.upload(place, file)
        target = await self._target(place, None)
        await target.send(file=discord.File(io.BytesIO(file.text.encode()), filename=file.filename))

    async def whisper(self, place: Place, user: str, text: str) -> None:
        if relayed(place):
            return await self.relays.whisper(place, user, text)
        # Only interactions can be answered privately on Discord; a message gets a reply in its thread.
        await self.post(place, Notice(text))

    async def _send_pages(self, target: discord.abc.Messageable, pages: list[embeds.Message]) -> discord.Message:
        """Sends the pages in order; the first one's message."""
        first, *rest = pages
        message = await target.send(**embeds.to_discord(first))
        for payload in rest:  # the digest's buttons come with its last page
            await target.send(**embeds.to_discord(payload))
        return message

    async def _where(self, place: Place) -> Editable:
        """Where recap's messages for `place` are: its thread, or the channel itself for DMs."""
        channel = await self._channel(int(place.channel))
        if place.thread is None or isinstance(channel, (discord.DMChannel, discord.Thread)):
            return _editable(channel)
        return _editable(await self._channel(int(place.thread)))

    async def _target(self, place: Place, reply: Reply | None) -> discord.abc.Messageable:
        """The channel to post in: the thread, started on its root message the first time."""
        channel = await self._channel(int(place.channel))
        if place.thread is None or isinstance(channel, (discord.DMChannel, discord.Thread)):
            return _messageable(channel)
        thread = self.client.get_channel(int(place.thread))
        if thread is not None:
            return _messageable(thread)
        root = _editable(channel).get_partial_message(int(place.thread))
        try:
            return await root.create_thread(name=_thread_name(reply), auto_archive_duration=1440)
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:
                raise
            return _messageable(await self._channel(int(place.thread)))

    async def _channel(self, channel_id: int) -> Channel:
        return self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)


def _messageable(channel: Channel) -> discord.abc.Messageable:
    """A Place's channels are where a message or an interaction came from, so they take messages;
    one that does not is a broken Place (this raises where `.send` would have)."""
    if isinstance(channel, discord.abc.Messageable):
        return channel
    raise TypeError(f"recap cannot post in a {type(channel).__name__} ({channel.id})")


def _editable(channel: Channel) -> Editable:
    """The same for the channels where recap edits its messages and starts threads on them."""
    if isinstance(channel, _EDITABLE):
        return channel
    raise TypeError(f"recap cannot edit messages in a {type(channel).__name__} ({channel.id})")


async def _name_thread(channel: object, reply: Reply) -> None:
    """The thread was opened (by the progress message) before the video's title was known."""
    if isinstance(reply, DigestReply) and isinstance(channel, discord.Thread) and channel.name == PLACEHOLDER:
        await channel.edit(name=_thread_name(reply))


def _thread_name(reply: Reply | None) -> str:
    if isinstance(reply, (DigestReply, FullDigestReply)):
        return reply.digest.video.title[:THREAD_NAME_MAX]
    return PLACEHOLDER


class DiscordRequester:
    """The person behind a slash command, menu or modal: private answers are ephemeral interaction
    responses; the public answer is the interaction's own reply, or a follow-up once it has one."""

    def __init__(self, interaction: discord.Interaction, place: Place) -> None:
        self.interaction = interaction
        self.place = place
        self.user = str(interaction.user.id)

    async def tell(self, text: str) -> None:
        response = self.interaction.response
        quiet = discord.AllowedMentions.none()
        if not response.is_done():
            await response.send_message(text, ephemeral=True, allowed_mentions=quiet)
        else:
            await self.interaction.followup.send(text, ephemeral=True, allowed_mentions=quiet)

    async def open(self, reply: Reply) -> Sent:
        perms = self.interaction.app_permissions
        if self.place.thread is None and self.place.workspace != "dm" and not perms.create_public_threads:
            raise CannotPost(NO_ENTRY)
        (page,) = render(reply, embeds)[:1]
        message: discord.InteractionMessage | discord.WebhookMessage
        try:
            if not self.interaction.response.is_done():
                await self.interaction.response.send_message(**embeds.to_discord(page))
                message = await self.interaction.original_response()
            else:
                message = await self.interaction.followup.send(wait=True, **embeds.to_discord(page))
        except discord.Forbidden as exc:
            raise CannotPost(NO_ENTRY) from exc
        return Sent(self.place, str(message.id))
