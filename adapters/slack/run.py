"""`recap slack`: the Slack front end as a process, in Socket Mode or behind an HTTP endpoint."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.app import build_assistant, build_installations, build_secret_box
from bot.health import Health, whisper_model
from bot.installations import Installations, OAuthStates
from bot.settings import Settings
from summarizer.errors import NotConfigured

from ..stopping import stop_signals
from .app import build_app

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

log = logging.getLogger(__name__)

PATH = "/slack/events"
# What the bot does and nothing more: read the messages of channels it is in, reply, upload.
SCOPES = [
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "chat:write",
    "commands",
    "files:write",
    "users:read",
]


def oauth_settings(
    client_id: str, client_secret: str, installations: Installations, states: OAuthStates
) -> AsyncOAuthSettings:
    """Multi-workspace install: bolt's OAuth flow over recap's own sealed installations."""
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    from .installations import SlackInstallationStore, SlackOAuthStateStore

    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=SCOPES,
        installation_store=SlackInstallationStore(installations),
        state_store=SlackOAuthStateStore(states),
    )


async def serve(settings: Settings, port: int) -> None:
    if not settings.slack_signing_secret and not settings.slack_app_token:
        raise NotConfigured("Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); see the README.")
    use_oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    if not use_oauth and not settings.slack_bot_token:
        raise NotConfigured("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth).")
    box = build_secret_box(settings) if use_oauth else None  # refused before anything starts
    assistant = build_assistant(settings)
    oauth = None
    if box is not None and settings.slack_client_id and settings.slack_client_secret:
        oauth = oauth_settings(
            settings.slack_client_id,
            settings.slack_client_secret.get_secret_value(),
            *build_installations(assistant, box),
        )
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "unused"
    app = build_app(assistant, token=token, signing_secret=secret, api_url=settings.slack_api_url, oauth_settings=oauth)
    health = Health(assistant.service.store.engine, "slack", whisper_model(settings, settings.jobs == "embedded"))

    with stop_signals() as stop:
        # Socket Mode has no port of its own: the endpoints get RECAP_HEALTH_PORT, and answer while connecting.
        stop_health = await health.serve(settings.health_port) if settings.slack_app_token else None
        stop_intake = await listen(app, settings, port, health)
        await assistant.resume()
        await stop.wait()
        health.drain()
        # Events first: a job accepted after the drain would stay owned here, for a restart or the lease to free.
        await stop_intake()
        await assistant.shutdown(settings.shutdown_grace_seconds)
        if stop_health is not None:
            await stop_health()
    log.warning("recap stopped serving Slack")


async def listen(app: AsyncApp, settings: Settings, port: int, health: Health) -> Callable[[], Awaitable[None]]:
    """Start taking events: Socket Mode with an app token, else HTTP (with the health endpoints on
    the same port). Returns how to stop."""
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())

        async def connected() -> str | None:
            return None if await handler.client.is_connected() else "not connected (Socket Mode)"

        health.watch_platform(connected)
        await handler.connect_async()
        log.warning("recap is connected to Slack (Socket Mode)")
        if app.oauth_flow is None:
            return handler.close_async
        # Installing into a workspace is a browser's visit, not a socket's event: it needs a page.
        stop_pages = await serve_install_pages(app, port)

        async def stop() -> None:
            await handler.close_async()
            await stop_pages()

        return stop
    web_app = app.web_app(path=PATH)
    web_app.add_routes(health.routes())
    health.watch_platform(serving)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    log.warning("recap listens for Slack on port %d, path %s", port, PATH)
    # Stops listening at once (new connections are refused; the health endpoints go with them, so
    # probes see the process unready) and waits for requests in flight.
    return runner.cleanup


async def serve_install_pages(app: AsyncApp, port: int) -> Callable[[], Awaitable[None]]:
    """Socket Mode with OAuth: /slack/install and /slack/oauth_redirect on `port`, and nothing else
    (events come through the socket; an HTTP endpoint for them would take requests signed with a
    secret Socket Mode never needed)."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    flow = app.oauth_flow
    if flow is None:
        raise ValueError("no OAuth flow to serve")

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def callback(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    pages = web.Application()
    pages.add_routes([web.get(flow.install_path, install), web.get(flow.redirect_uri_path, callback)])
    runner = web.AppRunner(pages)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    log.warning("recap serves its Slack install page on port %d, path %s", port, flow.install_path)
    return runner.cleanup


async def serving() -> str | None:
    """HTTP mode: the port that answers this probe is the one that takes Slack's events."""
    return None
