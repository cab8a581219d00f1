"""`recap discord`: the Discord bot as a process."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import build_assistant
from bot.assistant import Assistant
from bot.health import Check, Health, whisper_model
from bot.settings import Settings
from summarizer.errors import NotConfigured

from ..stopping import stop_signals
from .app import RecapClient

log = logging.getLogger(__name__)

NO_CONTENT = (
    "The message content intent is not enabled for this bot, so recap cannot read pasted links. "
    'It still works through /recap, the "Recap this video" menu, mentions and DMs. Enable '
    '"Message Content Intent" in the developer portal to have links summarised as they are posted.'
)


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
    health = Health(assistant.service.store.engine, "discord", whisper_model(settings, settings.jobs == "embedded"))
    token = settings.discord_token.get_secret_value()
    with stop_signals() as stop:
        stop_health = await health.serve(settings.health_port)  # answering while the gateway connects
        try:
            await connect(assistant, settings, token, stop, health)
        finally:
            await stop_health()
    log.warning("recap stopped serving Discord")


async def connect(assistant: Assistant, settings: Settings, token: str, stop: asyncio.Event, health: Health) -> None:
    """Serve Discord until `stop` is set, then drain the jobs and close."""
    content = settings.discord_message_content
    while not stop.is_set():  # a signal between two attempts must not start another client
        client = RecapClient(
            assistant,
            message_content=content,
            guild_id=settings.discord_guild,
            relay_interactions=settings.jobs == "embedded",  # workers post through REST: no interaction
        )
        health.watch_platform(gateway_of(client))
        if not content:
            log.warning(NO_CONTENT)
        try:
            async with client:  # closed on the way out, its REST session with it
                if await until_stopped(client, token, stop):
                    health.drain()
                    await assistant.shutdown(settings.shutdown_grace_seconds)
            return
        except discord.PrivilegedIntentsRequired:
            if not content:
                raise
            content = False  # connect again without it rather than not at all
        except discord.LoginFailure:
            raise NotConfigured("Discord refused DISCORD_TOKEN; copy the bot token again from the portal.") from None
    # Stopped between two attempts: no client is left to reply through, so hand every job back now.
    health.drain()
    await assistant.shutdown(0)


def gateway_of(client: RecapClient) -> Check:
    """Ready while the client holds a gateway session it has been sent READY on."""

    async def connected() -> str | None:
        ws = client.ws
        return None if client.is_ready() and ws is not None and ws.open else "gateway not connected"

    return connected


async def until_stopped(client: RecapClient, token: str, stop: asyncio.Event) -> bool:
    """Run the client until `stop` is set; then leave the gateway, so no new event comes, but keep
    the client's REST session open: the replies of the jobs still running go out through it, which
    is why this does not simply close the client. False when the client stopped on its own."""
    gateway = asyncio.create_task(client.start(token), name="recap-discord-gateway")
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({gateway, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not gateway.done():
            gateway.cancel()  # discord.py's loop reconnects after any close; only this ends it
        results = await asyncio.gather(gateway, return_exceptions=True)
    if not stop.is_set() or not isinstance(results[0], asyncio.CancelledError):
        gateway.result()  # raises what ended it (a refused intent, a bad token)
        return False
    if client.ws is not None:
        with contextlib.suppress(Exception):  # a connection half made or already gone
            await client.ws.close(code=1000)  # 1000: a goodbye, Discord shows the bot offline
    return True
