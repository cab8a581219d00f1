"""The bot token a workspace's replies are posted with, in OAuth mode: found for the workspace (an
Enterprise Grid workspace too, under a workspace install or its organisation's org-wide install) and
rotated before it expires, so a job that posts long after the event that started it still can.

Bolt authorises incoming requests itself (and rotates their tokens); jobs have only the workspace
id they were asked from, so this is their way to a token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.installations import Installations

from .chat import SlackChat, web_client
from .installations import SlackInstallationStore

log = logging.getLogger(__name__)

WebClientFor = Callable[[str | None], AsyncWebClient]


class InstalledClients:
    def __init__(
        self,
        store: SlackInstallationStore,
        make_client: WebClientFor,
        rotator: AsyncTokenRotator | None,
        minutes_before_expiration: int = 120,
    ) -> None:
        self.store, self.make_client, self.rotator = store, make_client, rotator
        self.minutes = minutes_before_expiration
        self._rotating: dict[str, asyncio.Lock] = {}  # one refresh at a time per workspace
        self._org_teams: set[tuple[str, str]] = set()

    async def __call__(self, workspace: str) -> AsyncWebClient:
        bot = await self.bot(workspace)
        return self.make_client(bot.bot_token if bot else None)

    async def bot(self, workspace: str) -> Bot | None:
        async with self._rotating.setdefault(workspace, asyncio.Lock()):
            bot = await self.store.async_find_bot(enterprise_id=None, team_id=workspace)
            if bot is None or self.rotator is None or not bot.bot_refresh_token:
                return bot
            refreshed = await self.rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=self.minutes)
            if refreshed is None:
                return bot
            await self.store.async_save_bot(refreshed)  # the old refresh token is spent: keep the new one
            log.info("rotated the bot token of a workspace before posting")
            return refreshed

    async def seen(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> None:
        """An event from `team_id`, served by its organisation's org-wide install: write the link down,
        so the jobs it starts find that install from the workspace id alone."""
        if not (is_enterprise_install and enterprise_id and team_id) or (enterprise_id, team_id) in self._org_teams:
            return
        await self.store.async_link_org_team(enterprise_id, team_id)
        self._org_teams.add((enterprise_id, team_id))


def installed_clients(
    store: SlackInstallationStore,
    client_id: str,
    client_secret: str,
    api_url: str | None,
    minutes_before_expiration: int = 120,
) -> InstalledClients:
    rotator = AsyncTokenRotator(client_id=client_id, client_secret=client_secret, client=web_client(None, api_url))
    return InstalledClients(store, lambda token: web_client(token, api_url), rotator, minutes_before_expiration)


def installed_chat(installations: Installations, client_id: str, client_secret: str, api_url: str | None) -> SlackChat:
    """A SlackChat for a worker of an app installed through OAuth: each workspace's own token,
    rotated before it expires, with no event connection at all."""
    return SlackChat(installed_clients(SlackInstallationStore(installations), client_id, client_secret, api_url))


def workspace_of(body: dict[str, Any]) -> str:
    """The workspace a request comes from. Not bolt's context.team_id: under an org-wide install that
    is the installation's team (none), while replies and settings belong to the workspace itself."""
    if isinstance(body.get("team_id"), str):  # events, slash commands
        return body["team_id"]
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):  # interactivity
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):  # interactivity under an org-wide install
        return str(user["team_id"])
    return ""


def middleware(clients: InstalledClients) -> Callable[..., Awaitable[None]]:
    """A bolt middleware that tells `clients` where each request came from."""
    from slack_bolt.async_app import AsyncBoltContext

    async def remember_where(
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],  # noqa: A002 - the name bolt passes it by
    ) -> None:
        await clients.seen(context.enterprise_id, workspace_of(body), bool(context.is_enterprise_install))
        await next()

    return remember_where
