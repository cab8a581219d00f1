"""REST routes about the bot and its application: users, gateway URL, application commands."""

from __future__ import annotations

import copy

from .constants import application_flags
from .guild import ALICE_ID, APP_ID, BOT_NAME, GUILD_ID, snowflake
from .limits import DiscordError, command_errors, not_found


def make_command(body: dict, guild_id: str | None, index: int | None = None, existing: dict | None = None) -> dict:
    """An application command as Discord stores it; `existing` keeps its id (an overwrite by name)."""
    command_errors(body, () if index is None else (index,))
    cmd = {
        "id": (existing or {}).get("id") or str(snowflake()),
        "application_id": str(APP_ID),
        "version": str(snowflake()),
        # Sent as a string or a number (discord.py sends a number); Discord keeps a string.
        "default_member_permissions": _permissions(body.get("default_member_permissions")),
        "type": body.get("type", 1),
        "name": body.get("name") or "",
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description") or "",
        "description_localizations": body.get("description_localizations"),
        "dm_permission": body.get("dm_permission", True),
        "contexts": body.get("contexts"),
        "integration_types": body.get("integration_types") or [0],
        "nsfw": bool(body.get("nsfw")),
    }
    if body.get("options"):
        cmd["options"] = copy.deepcopy(body["options"])
    if guild_id is not None:
        cmd["guild_id"] = guild_id
    return cmd


def _permissions(value: object) -> str | None:
    return None if value is None else str(value)


class ApplicationRoutes:
    """The user, gateway-URL and application-command routes of FakeDiscord (mixed into it)."""

    async def _get_me(self, request, record):
        return 200, {
            **self.bot_user,
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
            "bio": "",
            "premium_type": 0,
        }

    async def _get_user(self, request, record, user_id):
        if user_id not in self.users:
            raise not_found("User", 10013)
        return 200, self.users[user_id]

    async def _create_dm(self, request, record):
        recipient = str((record.json or {}).get("recipient_id"))
        if recipient not in self.users:
            raise not_found("User", 10013)
        return 200, self._dm_channel(recipient)

    async def _get_gateway(self, request, record):
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, request, record):
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        }

    async def _get_application(self, request, record):
        return 200, {
            "id": str(APP_ID),
            "name": BOT_NAME,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": application_flags(self.privileged),
            "owner": self.users[ALICE_ID],
            "team": None,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": 1,
            "bot": self.bot_user,
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(self.bot_permissions)},
            "integration_types_config": {"0": {"oauth2_install_params": None}},
        }

    # application commands

    def _command_scope(self, app_id: str, guild_id: str | None) -> None:
        if app_id != str(APP_ID):
            raise not_found("Application", 10002)
        if guild_id is not None and guild_id != str(GUILD_ID):
            raise DiscordError(403, 50001, "Missing Access")

    def _scoped(self, guild_id: str | None) -> list[dict]:
        return [c for c in self.commands if c.get("guild_id") == guild_id]

    async def _list_commands(self, request, record, app_id, guild_id=None):
        self._command_scope(app_id, guild_id)
        return 200, self._scoped(guild_id)

    async def _put_commands(self, request, record, app_id, guild_id=None):
        self._command_scope(app_id, guild_id)
        body = record.json or []
        old = {(c["name"], c["type"]): c for c in self._scoped(guild_id)}
        new = [make_command(b, guild_id, i, old.get((b.get("name"), b.get("type", 1)))) for i, b in enumerate(body)]
        names = [(c["name"], c["type"]) for c in new]
        if len(set(names)) != len(names):
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "_errors": [
                        {
                            "code": "APPLICATION_COMMANDS_DUPLICATE_NAME",
                            "message": "Application command names must be unique",
                        }
                    ]
                },
            )
        self.commands = [c for c in self.commands if c.get("guild_id") != guild_id] + new
        return 200, new

    async def _post_command(self, request, record, app_id, guild_id=None):
        self._command_scope(app_id, guild_id)
        body = record.json or {}
        existing = next(
            (c for c in self._scoped(guild_id) if c["name"] == body.get("name") and c["type"] == body.get("type", 1)),
            None,
        )
        cmd = make_command(body, guild_id, existing=existing)
        if existing is not None:
            self.commands[self.commands.index(existing)] = cmd
            return 200, cmd
        self.commands.append(cmd)
        return 201, cmd

    def _find_command(self, guild_id: str | None, command_id: str) -> dict:
        cmd = next((c for c in self._scoped(guild_id) if c["id"] == command_id), None)
        if cmd is None:
            raise not_found("application command", 10063)
        return cmd

    async def _get_command(self, request, record, app_id, *ids):
        guild_id, command_id = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        self._command_scope(app_id, guild_id)
        return 200, self._find_command(guild_id, command_id)

    async def _patch_command(self, request, record, app_id, *ids):
        guild_id, command_id = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        self._command_scope(app_id, guild_id)
        cmd = self._find_command(guild_id, command_id)
        updated = make_command({**cmd, **(record.json or {})}, guild_id, existing=cmd)
        self.commands[self.commands.index(cmd)] = updated
        return 200, updated

    async def _delete_command(self, request, record, app_id, *ids):
        guild_id, command_id = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        self._command_scope(app_id, guild_id)
        self.commands.remove(self._find_command(guild_id, command_id))
        return 204, None

    # guilds and channels
