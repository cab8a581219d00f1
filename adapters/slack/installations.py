"""slack_sdk's installation and OAuth state stores over recap's own (sealed) `Installations`: bolt
saves and finds a workspace's tokens through these, and they never reach the database in clear.

One record per (enterprise or "", team or ""): the latest installation and the latest bot, which
token rotation can renew on its own. recap asks for bot scopes only, so there is no per-user
history to keep; an installer's user token, if Slack sends one, stays with the installation.
"""

from __future__ import annotations

import asyncio
import logging
from logging import Logger
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.installations import Installations, OAuthStates

PLATFORM = "slack"
BOT_FIELDS = ("bot_token", "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at")
USER_FIELDS = ("user_token", "user_scopes", "user_refresh_token", "user_token_expires_at")

log = logging.getLogger(__name__)

# The record of one key (its shape is given in SlackInstallationStore), as JSON keeps it.
Record = dict[str, Any]


def _team(team_id: str | None, is_enterprise_install: bool | None) -> str | None:
    # An org-wide install belongs to the enterprise, not to the team an event happens to come from.
    return None if is_enterprise_install else team_id


class SlackInstallationStore(AsyncInstallationStore):
    def __init__(self, installations: Installations) -> None:
        self.installations = installations

    @property
    def logger(self) -> Logger:
        return log

    # -- the record: {"installation": Installation.__dict__ | None, "bot": Bot.__dict__ | None} ---------

    async def _load(self, enterprise_id: str | None, team_id: str | None) -> Record | None:
        return await asyncio.to_thread(self.installations.find, PLATFORM, enterprise_id, team_id)

    async def _keep(self, enterprise_id: str | None, team_id: str | None, record: Record) -> None:
        installation = record.get("installation")
        if record.get("bot") or (installation and installation.get("user_token")):
            await asyncio.to_thread(self.installations.save, PLATFORM, enterprise_id, team_id, record)
        else:  # no token left: nothing worth keeping
            await asyncio.to_thread(self.installations.delete, PLATFORM, enterprise_id, team_id)

    # -- saving ------------------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        team = _team(installation.team_id, installation.is_enterprise_install)
        record = await self._exact(installation.enterprise_id, team)
        record["installation"] = dict(installation.__dict__)
        if installation.bot_token:
            record["bot"] = dict(installation.to_bot().__dict__)
        await self._keep(installation.enterprise_id, team, record)

    async def async_save_bot(self, bot: Bot) -> None:
        if not bot.bot_token:
            return
        team = _team(bot.team_id, bot.is_enterprise_install)
        record = await self._exact(bot.enterprise_id, team)
        record["bot"] = dict(bot.__dict__)
        await self._keep(bot.enterprise_id, team, record)

    async def _exact(self, enterprise_id: str | None, team_id: str | None) -> Record:
        # Saves go to the exact key: "" stands for no enterprise, never for any enterprise.
        return await self._load(enterprise_id or "", team_id) or {"installation": None, "bot": None}

    # -- finding -----------------------------------------------------------------------------------

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        record = await self._load(enterprise_id, _team(team_id, is_enterprise_install))
        if record and not record.get("bot") and record.get("org"):  # a Grid workspace: its org-wide install
            record = await self._load(record["org"], None)
        return Bot(**record["bot"]) if record and record.get("bot") else None

    async def async_link_org_team(self, enterprise_id: str, team_id: str) -> None:
        """Workspace `team_id` is served by the org-wide install of `enterprise_id`: a record that
        holds no token, only the way there, for callers that know the workspace alone (jobs)."""
        record = await self._exact(enterprise_id, team_id)
        if record.get("org") != enterprise_id:
            record["org"] = enterprise_id
            await asyncio.to_thread(self.installations.save, PLATFORM, enterprise_id, team_id, record)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        record = await self._load(enterprise_id, _team(team_id, is_enterprise_install))
        if not record:
            return None
        data = record.get("installation")
        if not data or (user_id is not None and data.get("user_id") != user_id):
            return None  # only the latest installer's installation is kept
        installation = Installation(**data)
        if record.get("bot"):  # the bot's token may have been rotated since it was installed
            for field in BOT_FIELDS:
                setattr(installation, field, record["bot"].get(field))
        return installation

    # -- deleting (tokens revoked, app uninstalled) ------------------------------------------------

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        record = await self._exact(enterprise_id, team_id)
        record["bot"] = None
        if record["installation"]:  # a revoked bot token must not come back through the installation
            record["installation"].update(dict.fromkeys(BOT_FIELDS))
        await self._keep(enterprise_id, team_id, record)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        record = await self._exact(enterprise_id, team_id)
        installation = record["installation"]
        if user_id is None:
            record["installation"] = None
        elif installation and installation.get("user_id") == user_id:
            installation.update(dict.fromkeys(USER_FIELDS))
        await self._keep(enterprise_id, team_id, record)


class SlackOAuthStateStore(AsyncOAuthStateStore):
    def __init__(self, states: OAuthStates) -> None:
        self.states = states

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        return await asyncio.to_thread(self.states.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.states.consume, state)
