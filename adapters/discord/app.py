"""The Discord front end on discord.py: messages, the /recap commands, the "Recap this video"
context menu, buttons and the ask modal, each translated into a call on the `Assistant`, which
decides what to do about them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Unpack

import discord
from discord import app_commands

from bot.assistant import HELP, Assistant
from bot.chat import Incoming, Place

from ..links import discord_links
from . import embeds
from .chat import NO_ENTRY, DiscordChat, DiscordRequester

if TYPE_CHECKING:
    from discord.client import _ClientOptions  # the keyword arguments discord.Client takes

log = logging.getLogger(__name__)

STALE_BUTTON = "That button is from an older version of recap and no longer works; paste the link again."
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


class AskModal(discord.ui.Modal, title="Ask about this video"):
    question: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Your question", style=discord.TextStyle.paragraph, max_length=1000
    )

    def __init__(self, assistant: Assistant) -> None:
        super().__init__(custom_id=embeds.ASK_MODAL)
        self.assistant = assistant

    async def on_submit(self, interaction: discord.Interaction) -> None:
        place = place_of(interaction.channel, interaction.guild)
        await self.assistant.ask(place, self.question.value, DiscordRequester(interaction, place))


class RecapClient(discord.Client):
    def __init__(
        self,
        assistant: Assistant,
        *,
        message_content: bool = True,
        guild_id: int | None = None,
        **options: Unpack[_ClientOptions],
    ) -> None:
        # No message of recap's pings anyone unless it says so (the asker of a requested digest).
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(intents=intents(message_content), **options)
        self.assistant = assistant
        self.guild_id = guild_id
        self.tree = app_commands.CommandTree(self)
        self.chat = DiscordChat(self)
        assistant.add_chat("discord", self.chat)
        self._commands()

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id) if self.guild_id else None
        if guild:  # one guild syncs at once; global commands take a while to appear everywhere
            self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)
        await self.assistant.resume()  # once a process, however often the gateway reconnects

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or message.author == self.user:
            return
        msg = incoming(message, self.user)
        if msg is not None:
            await self.assistant.on_message(msg)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons under digests: custom ids survive restarts, so they are matched here, not in a View."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: Mapping[str, object] = interaction.data or {}
        parsed = embeds.parse_custom_id(str(data.get("custom_id", "")))
        if parsed is None:  # a component recap no longer makes: say so rather than "interaction failed"
            await interaction.response.send_message(STALE_BUTTON, ephemeral=True)
            return
        action, key = parsed
        place = place_of(interaction.channel, interaction.guild)
        if action == embeds.ASK:
            await interaction.response.send_modal(AskModal(self.assistant))
        elif action in (embeds.FULL_DIGEST, embeds.TRANSCRIPT):
            await interaction.response.defer()
            if action == embeds.FULL_DIGEST:
                await self.assistant.full_digest(place, key)
            else:
                await self.assistant.transcript(place, key)

    def _commands(self) -> None:
        assistant = self.assistant
        group = app_commands.Group(name="recap", description="Digests of videos, and answers about them")

        @group.command(name="video", description="Summarise a video in a new thread")
        @app_commands.describe(url="link to the video")
        async def video(interaction: discord.Interaction, url: str) -> None:
            here = place_of(interaction.channel, interaction.guild)
            await assistant.request_digests(here, discord_links(url), DiscordRequester(interaction, here))

        @group.command(name="ask", description="Ask about the video of this thread, or the channel's latest")
        async def ask(interaction: discord.Interaction, question: str) -> None:
            here = place_of(interaction.channel, interaction.guild)
            await assistant.ask_latest(here, question, DiscordRequester(interaction, here))

        @group.command(name="help", description="What recap does")
        async def help_(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(HELP, ephemeral=True)

        @group.command(name="settings", description="Channel settings (server admins)")
        @app_commands.default_permissions(manage_guild=True)
        @app_commands.choices(
            writer=[app_commands.Choice(name=n, value=n) for n in ("default", "extractive", "claude")]
        )
        async def settings(
            interaction: discord.Interaction,
            auto: bool | None = None,
            language: str | None = None,
            writer: app_commands.Choice[str] | None = None,
        ) -> None:
            changes = {
                name: value
                for name, value in (
                    ("auto", None if auto is None else ("on" if auto else "off")),
                    ("language", language),
                    ("writer", writer.value if writer else None),
                )
                if value is not None
            }
            admin = bool(interaction.permissions and interaction.permissions.manage_guild)
            text = await assistant.change_settings(place_of(interaction.channel, interaction.guild), changes, admin)
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

        @app_commands.context_menu(name="Recap this video")
        async def recap_message(interaction: discord.Interaction, message: discord.Message) -> None:
            here = place_of(message.channel, message.guild)
            requester = DiscordRequester(interaction, here)
            # Threaded on the message itself, unless it is in a thread already.
            root = None if here.thread else str(message.id)
            if root and here.workspace != "dm" and not interaction.app_permissions.create_public_threads:
                await requester.tell(NO_ENTRY)
                return
            await assistant.request_digests(here, discord_links(message.content), requester, root=root)

        self.tree.add_command(group)
        self.tree.add_command(recap_message)
