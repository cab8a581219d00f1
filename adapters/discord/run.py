"""`recap discord`: the Discord bot as a process."""

from __future__ import annotations

import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import build_assistant
from bot.settings import Settings
from summarizer.errors import NotConfigured

from .app import RecapClient

log = logging.getLogger(__name__)

NO_CONTENT = ("The message content intent is not enabled for this bot, so recap cannot read pasted links. "
              "It still works through /recap, the \"Recap this video\" menu, mentions and DMs. Enable "
              "\"Message Content Intent\" in the developer portal to have links summarised as they are posted.")


def point_at(api_url: str, gateway_url: str | None) -> None:
    """discord.py reads both from class attributes: set them before the client connects."""
    Route.BASE = api_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


async def serve(settings: Settings) -> None:
    if not settings.discord_token:
        raise NotConfigured("Set DISCORD_TOKEN to the bot token from the Discord developer portal; see the README.")
    point_at(settings.discord_api_url, settings.discord_gateway_url)
    assistant = build_assistant(settings)
    token = settings.discord_token.get_secret_value()
    content = settings.discord_message_content
    while True:
        client = RecapClient(assistant, message_content=content, guild_id=settings.discord_guild)
        if not content:
            log.warning(NO_CONTENT)
        try:
            async with client:
                await client.start(token)
            return
        except discord.PrivilegedIntentsRequired:
            if not content:
                raise
            content = False  # connect again without it rather than not at all
        except discord.LoginFailure:
            raise NotConfigured("Discord refused DISCORD_TOKEN; copy the bot token again from the portal.") from None
