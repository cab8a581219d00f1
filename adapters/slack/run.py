"""`recap slack`: the Slack front end as a process, in Socket Mode or behind an HTTP endpoint."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.app import build_assistant
from bot.settings import Settings
from summarizer.errors import NotConfigured

from .app import build_app

log = logging.getLogger(__name__)

PATH = "/slack/events"
# What the bot does and nothing more: read the messages of channels it is in, reply, upload.
SCOPES = ["app_mentions:read", "channels:history", "groups:history", "im:history", "mpim:history", "chat:write",
          "commands", "files:write", "users:read"]


def oauth_settings(settings: Settings):
    """Multi-workspace install: installations and OAuth state in recap's own database."""
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
    from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
    from sqlalchemy.ext.asyncio import create_async_engine

    url = settings.database_url.replace("sqlite:///", "sqlite+aiosqlite:///", 1)
    engine = create_async_engine(url)
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=SCOPES,
        installation_store=AsyncSQLAlchemyInstallationStore(settings.slack_client_id, engine),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
    )


async def serve(settings: Settings, port: int) -> None:
    if not settings.slack_signing_secret and not settings.slack_app_token:
        raise NotConfigured("Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); see the README.")
    oauth = oauth_settings(settings) if settings.slack_client_id and settings.slack_client_secret else None
    if oauth is None and not settings.slack_bot_token:
        raise NotConfigured("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth).")
    if oauth is not None:
        await oauth.installation_store.create_tables()
        await oauth.state_store.create_tables()
    assistant = build_assistant(settings)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "unused"
    app = build_app(assistant, token=token, signing_secret=secret, api_url=settings.slack_api_url,
                    oauth_settings=oauth)

    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        log.warning("recap is connected to Slack (Socket Mode)")
    else:
        runner = web.AppRunner(app.web_app(path=PATH))
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", port).start()
        log.warning("recap listens for Slack on port %d, path %s", port, PATH)
    resumed = await assistant.runner.resume()
    if resumed:
        log.warning("resumed %d unfinished job(s) from before the restart", resumed)
    await asyncio.Event().wait()  # until interrupted
