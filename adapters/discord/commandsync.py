"""Registering recap's application commands only when they changed.

Discord limits command writes (200 creates a day per application and scope), and a bulk overwrite
on every start spends them for nothing; reads are cheap. So `recap discord` reads the registered
commands once and overwrites them only when they differ from the ones this version defines: after
an upgrade that changed a command, or when someone deleted them. Comparing with what Discord holds
rather than with a hash kept beside recap also catches commands changed by hand or by another
version sharing the application.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

# Keys Discord adds to a stored command (its identity, its version, the locale it answered in).
SERVER_KEYS = frozenset({"id", "application_id", "version", "guild_id", "name_localized", "description_localized"})


def canonical(value: Any) -> Any:
    """A command payload with Discord's bookkeeping and every empty or false value removed, so that
    ours and Discord's copy compare equal when they mean the same ("required": false and no
    "required", null and {} localizations, a context menu's "" description and none). Lists keep
    their order: option order is shown to people."""
    if isinstance(value, dict):
        kept = {k: canonical(v) for k, v in value.items() if k not in SERVER_KEYS}
        if kept.get("default_member_permissions") is not None:  # discord.py sends a number, Discord keeps a string
            kept["default_member_permissions"] = str(kept["default_member_permissions"])
        return {k: v for k, v in kept.items() if v not in (None, False, "", [], {})}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def keyed(commands: list[dict[str, Any]]) -> dict[tuple[int, str], Any]:
    """Commands by (type, name), which is what makes one unique within an application and scope."""
    return {(int(c.get("type", 1)), str(c.get("name"))): canonical(c) for c in commands}


def differs(ours: list[dict[str, Any]], registered: list[dict[str, Any]]) -> bool:
    return keyed(ours) != keyed(registered)


async def sync_if_changed(client: discord.Client, tree: app_commands.CommandTree[Any], guild: int | None) -> bool:
    """Overwrite the commands of `guild` (global when None) when they differ from the tree's; True
    when it wrote them. A failed read syncs anyway: a missing command is worse than a spent write."""
    app_id = client.application_id
    scope = discord.Object(guild) if guild else None
    ours = [command.to_dict(tree) for command in tree._get_all_commands(guild=scope)]
    if app_id is None:  # only before login; setup_hook runs after it
        raise RuntimeError("the application id is not known yet")
    try:
        if guild:
            registered = await client.http.get_guild_commands(app_id, guild)
        else:
            registered = await client.http.get_global_commands(app_id)
    except discord.HTTPException as exc:
        log.warning("could not read the registered commands (%s); registering them again", exc.status)
        registered = []
    if not differs(ours, list(registered)):  # type: ignore[arg-type]  # discord.py types it as TypedDicts
        log.info("application commands unchanged; not registering them again")
        return False
    await tree.sync(guild=scope)
    log.info("registered %d application command(s)", len(ours))
    return True
