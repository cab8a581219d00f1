"""`recap slack`: the Slack front end as a process, in Socket Mode or behind an HTTP endpoint."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.app import build_assistant
from bot.installations import Installations, OAuthStates
from bot.secretbox import HOW_TO_MAKE_ONE, SETTING, SecretBox
from bot.settings import Settings
from bot.store import Store
from summarizer.errors import NotConfigured

from .app import build_app

log = logging.getLogger(__name__)

PATH = "/slack/events"
# What the bot does and nothing more: read the messages of channels it is in, reply, upload.
SCOPES = ["app_mentions:read", "channels:history", "groups:history", "im:history", "mpim:history", "chat:write",
          "commands", "files:write", "users:read"]


def secret_box(settings: Settings) -> SecretBox:
    """OAuth keeps every installed workspace's bot token in the database: never without a key to seal it."""
    if settings.secret_key is None:
        raise NotConfigured(f"Slack OAuth (SLACK_CLIENT_ID) keeps each workspace's bot token in the database, "
                            f"encrypted: set {SETTING} to a Fernet key; make one with: {HOW_TO_MAKE_ONE}")
    return SecretBox(settings.secret_key.get_secret_value())


def oauth_settings(settings: Settings, store: Store, box: SecretBox | None = None):
    """Multi-workspace install: installations (sealed) and OAuth states in recap's own database."""
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    from .installations import SlackInstallationStore, SlackOAuthStateStore

    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=SCOPES,
        installation_store=SlackInstallationStore(Installations(store, box or secret_box(settings))),
        state_store=SlackOAuthStateStore(OAuthStates(store)),
    )


async def serve(settings: Settings, port: int) -> None:
    if not settings.slack_signing_secret and not settings.slack_app_token:
        raise NotConfigured("Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); see the README.")
    use_oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    if not use_oauth and not settings.slack_bot_token:
        raise NotConfigured("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth).")
    box = secret_box(settings) if use_oauth else None  # refused before anything starts
    assistant = build_assistant(settings)
    oauth = oauth_settings(settings, assistant.service.store, box) if box else None
    if oauth is not None:
        _warn_of_plaintext_tables(assistant.service.store)
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


def _warn_of_plaintext_tables(store: Store) -> None:
    # Before installations were sealed, slack_sdk kept them in tables of its own, in clear.
    from sqlalchemy import inspect

    old = [t for t in ("slack_installations", "slack_bots") if inspect(store.engine).has_table(t)]
    if old:
        log.warning("tables %s hold Slack tokens in plaintext from an earlier recap and are no longer read: "
                    "install the app into each workspace again, then drop them", ", ".join(old))
