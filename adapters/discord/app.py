"""The Discord front end on discord.py: messages, the /recap commands, the "Recap this video"
context menu, buttons and the ask modal, each translated into a call on the `Assistant`, which
decides what to do about them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Unpack

import discord
from discord import app_commands

from bot.assistant import Assistant
from bot.chat import Incoming, Place

from ..links import discord_links
from . import embeds
from .buttons import TEMPLATE, DigestButton
from .chat import DiscordChat, DiscordRequester
from .commands import add_commands
from .commandsync import sync_if_changed
from .relay import relayed_place

if TYPE_CHECKING:
    from discord.client import _ClientOptions  # the keyword arguments discord.Client takes

log = logging.getLogger(__name__)

STALE_BUTTON = "That button is from an older version of recap and no longer works; paste the link again."
# Workers post through REST and hold no interaction, so where only an interaction may answer, they cannot.
NO_RELAY = (
    "recap is not a member here, so it could answer only through this command, and this deployment does "
    "its work in separate workers that cannot. Add recap to the server to have videos summarised here."
)
# Messages a person typed; joins, pins, boosts and the like are not.
PERSON_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def intents(message_content: bool) -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.dm_messages = True
    chosen.message_content = message_content  # privileged: without it, only mentions and DMs carry text
    return chosen


def place_of(channel: discord.abc.Snowflake | None, guild: discord.Guild | None) -> Place:
    """Threads and forum posts are the thread; a channel or a DM is the top level."""
    if channel is None:  # discord.py has no channel for an interaction Discord sent none with
        raise ValueError("no channel to place this in")
    workspace = str(guild.id) if guild else "dm"
    if isinstance(channel, discord.Thread):
        return Place("discord", workspace, str(channel.parent_id), str(channel.id))
    return Place("discord", workspace, str(channel.id))


def incoming(message: discord.Message, me: discord.abc.User) -> Incoming | None:
    if message.type not in PERSON_TYPES:
        return None
    text = message.content
    for mention in (f"<@{me.id}>", f"<@!{me.id}>"):
        text = text.replace(mention, "")
    return Incoming(
        place=place_of(message.channel, message.guild),
        message_id=str(message.id),
        user=str(message.author.id),
        text=text.strip(),
        links=tuple(discord_links(message.content)),
        is_dm=isinstance(message.channel, discord.DMChannel),
        mentions_bot=me in message.mentions,
        from_bot=message.author.bot,
    )


def reaches(client: discord.Client, interaction: discord.Interaction) -> bool:
    """Whether recap may post in the interaction's channel itself: a server that installed recap
    (so recap is a member, and discord.py has the server from the gateway) or recap's own DMs. Where
    only the person installed recap (their account, not the server), it may only answer the
    interaction."""
    if interaction.guild_id is not None:
        return interaction.is_guild_integration() and client.get_guild(interaction.guild_id) is not None
    # recap's own DMs, through a server's install (its bot user); a person's install alone may not
    # let the bot write to them, while the interaction always may answer.
    return bool(interaction.context.dm_channel) and not interaction.is_user_integration()


class AskModal(discord.ui.Modal, title="Ask about this video"):
    question: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Your question", style=discord.TextStyle.paragraph, max_length=1000
    )

    def __init__(self, client: RecapClient) -> None:
        super().__init__(custom_id=embeds.ASK_MODAL)
        self.client = client

    async def on_submit(self, interaction: discord.Interaction) -> None:
        place = await self.client.place(interaction)
        if place is not None:
            await self.client.assistant.ask(place, self.question.value, DiscordRequester(interaction, place))


class RecapClient(discord.Client):
    def __init__(
        self,
        assistant: Assistant,
        *,
        message_content: bool = True,
        guild_id: int | None = None,
        relay_interactions: bool = True,
        **options: Unpack[_ClientOptions],
    ) -> None:
        """`relay_interactions`: whether this process posts the replies to its interactions (embedded
        jobs), so that it may answer through them where recap is no member."""
        # No message of recap's pings anyone unless it says so (the asker of a requested digest).
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(intents=intents(message_content), **options)
        self.assistant = assistant
        self.guild_id = guild_id
        self.relay_interactions = relay_interactions
        self.tree = app_commands.CommandTree(self)
        self.chat = DiscordChat(self)
        assistant.add_chat("discord", self.chat)
        self.add_dynamic_items(DigestButton)
        add_commands(self)

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id) if self.guild_id else None
        if guild:  # one guild syncs at once; global commands take a while to appear everywhere
            self.tree.copy_global_to(guild=guild)
        await sync_if_changed(self, self.tree, self.guild_id)
        await self.assistant.resume()  # once a process, however often the gateway reconnects

    async def place(self, interaction: discord.Interaction) -> Place | None:
        """Where an interaction's answers go; where recap cannot post itself, the interaction answers.
        None when it cannot answer there at all, after saying so."""
        if reaches(self, interaction):
            return place_of(interaction.channel, interaction.guild)
        if not self.relay_interactions:
            await interaction.response.send_message(NO_RELAY, ephemeral=True)
            return None
        place = relayed_place(interaction)
        self.chat.relays.add(place, interaction)
        return place

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or message.author == self.user:
            return
        msg = incoming(message, self.user)
        if msg is not None:
            await self.assistant.on_message(msg)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A click on a component whose id is none of recap's buttons (an older recap's, a damaged
        one): say so rather than leave Discord to show "interaction failed". recap's own are
        `DigestButton`s, which discord.py matches by their template and hands to `pressed`."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: Mapping[str, object] = interaction.data or {}  # (Interaction.custom_id is discord.py 2.7's)
        custom_id = data.get("custom_id")
        if not isinstance(custom_id, str) or not TEMPLATE.fullmatch(custom_id):
            await interaction.response.send_message(STALE_BUTTON, ephemeral=True)

    async def pressed(self, interaction: discord.Interaction, action: str, key: str) -> None:
        """A digest's button: the full digest, the transcript, or the question modal."""
        if action == embeds.ASK:
            await interaction.response.send_modal(AskModal(self))
            return
        place = await self.place(interaction)
        if place is None:
            return
        await interaction.response.defer()
        if action == embeds.FULL_DIGEST:
            await self.assistant.full_digest(place, key)
        elif action == embeds.TRANSCRIPT:
            await self.assistant.transcript(place, key)
