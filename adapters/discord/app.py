"""The Discord front end on discord.py: messages, the /recap commands, the "Recap this video"
context menu, buttons and the ask modal, each translated into a call on the `Assistant`."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.assistant import HELP, Assistant
from bot.chat import Incoming, Place
from bot.chatstore import ChannelSettings
from summarizer.links import find_links

from . import embeds
from .chat import DiscordChat

log = logging.getLogger(__name__)

# Messages a person typed; joins, pins, boosts and the like are not.
PERSON_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def intents(message_content: bool) -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.dm_messages = True
    chosen.message_content = message_content  # privileged: without it, only mentions and DMs carry text
    return chosen


def place_of(channel, guild: discord.Guild | None) -> Place:
    """Threads and forum posts are the thread; a channel or a DM is the top level."""
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
        is_dm=isinstance(message.channel, discord.DMChannel),
        mentions_bot=me in message.mentions,
        from_bot=message.author.bot,
    )


class AskModal(discord.ui.Modal, title="Ask about this video"):
    question = discord.ui.TextInput(label="Your question", style=discord.TextStyle.paragraph, max_length=1000)

    def __init__(self, assistant: Assistant):
        super().__init__(custom_id=embeds.ASK_MODAL)
        self.assistant = assistant

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Looking into it…", ephemeral=True)
        await self.assistant.ask(place_of(interaction.channel, interaction.guild), self.question.value,
                                 str(interaction.user.id), show_question=True)


class RecapClient(discord.Client):
    def __init__(self, assistant: Assistant, *, message_content: bool = True, guild_id: int | None = None,
                 **options):
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
        resumed = await self.assistant.runner.resume()
        if resumed:
            log.warning("resumed %d unfinished job(s) from before the restart", resumed)

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
        action, key = embeds.parse_custom_id((interaction.data or {}).get("custom_id", ""))
        if action is None:
            return  # not one of recap's buttons
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
        async def video(interaction: discord.Interaction, url: str):
            await interaction.response.defer(thinking=True)
            here = place_of(interaction.channel, interaction.guild)
            top = await interaction.followup.send(f"Digest of {url} for {interaction.user.mention}", wait=True)
            thread = here if here.thread or here.workspace == "dm" else Place(
                "discord", here.workspace, here.channel, str(top.id))
            await assistant.summarize(thread, url, str(interaction.user.id), origin=str(top.id))

        @group.command(name="ask", description="Ask about the video of this thread, or the channel's latest")
        async def ask(interaction: discord.Interaction, question: str):
            await interaction.response.send_message("Looking into it…", ephemeral=True)
            here = place_of(interaction.channel, interaction.guild)
            if here.thread and assistant.store.thread_video(here):
                await assistant.ask(here, question, str(interaction.user.id), show_question=True)
            elif found := assistant.store.last_thread(here):
                await assistant.ask(found[0], question, str(interaction.user.id), found[1], show_question=True)
            else:
                await interaction.followup.send("No video has been summarised here yet.", ephemeral=True)

        @group.command(name="help", description="What recap does")
        async def help_(interaction: discord.Interaction):
            await interaction.response.send_message(HELP, ephemeral=True)

        @group.command(name="settings", description="Channel settings (server admins)")
        @app_commands.default_permissions(manage_guild=True)
        @app_commands.choices(writer=[app_commands.Choice(name=n, value=n) for n in ("default", "extractive", "claude")])
        async def settings(interaction: discord.Interaction, auto: bool | None = None, language: str | None = None,
                           writer: app_commands.Choice[str] | None = None):
            if not (interaction.permissions and interaction.permissions.manage_guild):
                await interaction.response.send_message("Only server admins can change recap's settings.",
                                                        ephemeral=True)
                return
            place = place_of(interaction.channel, interaction.guild)
            current = assistant.store.settings(place)
            updated = ChannelSettings(
                current.auto_summarize if auto is None else auto,
                current.language if language is None else (None if language == "default" else language),
                current.writer if writer is None else (None if writer.value == "default" else writer.value))
            assistant.store.save_settings(place, updated)
            await interaction.response.send_message(
                f"Auto-summarise pasted links: {'on' if updated.auto_summarize else 'off'} · language: "
                f"{updated.language or 'of each video'} · writer: {updated.writer or 'default'}", ephemeral=True)

        @app_commands.context_menu(name="Recap this video")
        async def recap_message(interaction: discord.Interaction, message: discord.Message):
            links = find_links(message.content)
            if not links:
                await interaction.response.send_message("That message has no video link.", ephemeral=True)
                return
            await interaction.response.send_message("On it: the digest will appear in a thread.", ephemeral=True)
            here = place_of(message.channel, message.guild)
            thread = here if here.thread or here.workspace == "dm" else Place(
                "discord", here.workspace, here.channel, str(message.id))
            for url in links:
                await assistant.summarize(thread, url, str(interaction.user.id), origin=str(message.id))

        self.tree.add_command(group)
        self.tree.add_command(recap_message)

