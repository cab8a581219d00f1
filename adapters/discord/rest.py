"""Discord through REST alone, for workers: posting, editing and starting threads need no gateway
connection, only the bot token (discord.py's HTTP client, logged in without connecting)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from .chat import DiscordChat
from .run import point_at


def rest_chat(token: str, api_url: str) -> tuple[DiscordChat, Callable[[], Awaitable[None]]]:
    """The chat, and the login to await in the event loop before it posts."""
    point_at(api_url, None)
    # No pings from a worker's posts either, unless a reply allows one explicitly.
    client = discord.Client(intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none())

    async def login() -> None:
        await client.login(token)

    return DiscordChat(client), login
