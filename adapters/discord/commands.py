"""recap's application commands: `/recap video|ask|help`, `/recap-settings` and the "Recap this
video" message menu, each translated into a call on the `Assistant`.

Where they may be used: `/recap` and the menu wherever Discord allows, for servers that installed
recap and for people who installed it to their account (in any server, group DMs and DMs, where
`RecapClient.place` routes the answers through the interaction). `/recap-settings` is a command of
its own because Discord hides a command from people without a permission only for a top-level
command (`default_member_permissions`); the assistant checks the permission again when it runs, as
a server may grant the command to anyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.assistant import help_text
from bot.preferences import REPLIES, WRITERS

from ..links import discord_links
from .chat import NO_ENTRY, DiscordRequester

if TYPE_CHECKING:
    from .app import RecapClient


def add_commands(client: RecapClient) -> None:
    tree, assistant = client.tree, client.assistant
    group = app_commands.Group(
        name="recap",
        description="Digests of videos, and answers about them",
        allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
    )

    @group.command(name="video", description="Summarise a video in a new thread")
    @app_commands.describe(url="link to the video")
    async def video(interaction: discord.Interaction, url: str) -> None:
        if here := await client.place(interaction):
            await assistant.request_digests(here, discord_links(url), DiscordRequester(interaction, here))

    @group.command(name="ask", description="Ask about the video of this thread, or the channel's latest")
    async def ask(interaction: discord.Interaction, question: str) -> None:
        if here := await client.place(interaction):
            await assistant.ask_latest(here, question, DiscordRequester(interaction, here))

    @group.command(name="help", description="What recap does")
    async def help_(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(help_text("discord"), ephemeral=True)

    @app_commands.command(name="recap-settings", description="recap's settings for this channel (server admins)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.allowed_installs(guilds=True, users=False)  # settings belong to a server that installed recap
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.describe(
        auto="summarise every video link pasted in this channel",
        language="language of digests and answers: a code such as fr, or default (each video's own)",
        writer="who writes the digests",
        replies="in a digest thread, answer only what is addressed to recap, or every reply",
    )
    @app_commands.choices(
        writer=[app_commands.Choice(name=n, value=n) for n in ("default", *WRITERS)],
        replies=[app_commands.Choice(name=n, value=n) for n in REPLIES],
    )
    async def settings(
        interaction: discord.Interaction,
        auto: bool | None = None,
        language: str | None = None,
        writer: app_commands.Choice[str] | None = None,
        replies: app_commands.Choice[str] | None = None,
    ) -> None:
        changes = {
            name: value
            for name, value in (
                ("auto", None if auto is None else ("on" if auto else "off")),
                ("language", language),
                ("writer", writer.value if writer else None),
                ("replies", replies.value if replies else None),
            )
            if value is not None
        }
        # The permission the person has in this channel, as Discord computed it for this interaction.
        admin = bool(interaction.permissions and interaction.permissions.manage_guild)
        if here := await client.place(interaction):
            text = await assistant.change_settings(here, changes, admin)
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    @app_commands.context_menu(name="Recap this video")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def recap_message(interaction: discord.Interaction, message: discord.Message) -> None:
        here = await client.place(interaction)
        if here is None:
            return
        requester = DiscordRequester(interaction, here)
        # Threaded on the message itself, unless it is in a thread already or recap may only answer.
        root = None if here.thread else str(message.id)
        if root and here.workspace != "dm" and not interaction.app_permissions.create_public_threads:
            await requester.tell(NO_ENTRY)
            return
        await assistant.request_digests(here, discord_links(message.content), requester, root=root)

    tree.add_command(group)
    tree.add_command(settings)
    tree.add_command(recap_message)
