"""recap's application commands as Discord holds them: who sees which, where they may be used, and
registering them only when they changed (command writes are a scarce daily quota)."""

from __future__ import annotations

import copy

import discord
import pytest

from adapters.discord.commandsync import differs
from bot.preferences import WRITERS
from tests.support.discord_bot import client, fake_discord, new_assistant
from tests.support.fake_discord import APP_ID, GUILD_ID, running
from tests.support.fake_discord.guild import BOB_ID

COMMANDS = rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2  # Discord's interaction context types
GUILD_INSTALL, USER_INSTALL = 0, 1  # and its installation types


@pytest.fixture
async def fake():
    async with fake_discord() as fake:
        yield fake


@pytest.fixture
def assistant(tmp_path):
    return new_assistant(tmp_path)


async def test_settings_is_a_command_of_its_own_shown_to_server_managers_only(fake, assistant):
    async with running(client(assistant), fake, until="guild"):
        commands = {c["name"]: c for c in fake.commands}
        settings, recap = commands["recap-settings"], commands["recap"]
        # default_member_permissions works on top-level commands only: that is why settings is one.
        assert settings["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
        assert recap["default_member_permissions"] is None  # everyone sees /recap
        assert [o["name"] for o in recap["options"]] == ["video", "ask", "help"]
        assert settings["contexts"] == [GUILD] and settings["integration_types"] == [GUILD_INSTALL]
        options = {o["name"]: o for o in settings["options"]}
        assert set(options) == {"auto", "language", "writer", "replies"}
        assert [c["value"] for c in options["writer"]["choices"]] == ["default", *WRITERS]  # openai too
        assert [c["value"] for c in options["replies"]["choices"]] == ["addressed", "all"]


async def test_settings_still_checks_the_permission_when_a_server_lets_anyone_use_the_command(fake, assistant):
    """A server can grant any command to @everyone in its integration settings; the check stays."""
    async with running(client(assistant), fake, until="guild"):
        change = {"auto": False, "replies": "all"}
        bob = await fake.dispatch("INTERACTION_CREATE", fake.slash_command("recap-settings", change, user=BOB_ID))
        owner = await fake.dispatch("INTERACTION_CREATE", fake.slash_command("recap-settings", change))
        await fake.wait_for("POST", rf"/interactions/{owner['id']}/{owner['token']}/callback")
        await fake.wait_for("POST", rf"/interactions/{bob['id']}/{bob['token']}/callback")
        refused = fake.interactions[bob["id"]].response["data"]
        saved = fake.interactions[owner["id"]].response["data"]
        assert refused["flags"] & 64 and "Only workspace or server admins" in refused["content"]
        assert saved["flags"] & 64 and saved["content"].startswith("Saved.")
        assert "auto-summarise pasted links off" in saved["content"] and "digest threads: all" in saved["content"]


async def test_recap_and_the_menu_may_be_used_wherever_a_person_installed_it(fake, assistant):
    async with running(client(assistant), fake, until="guild"):
        commands = {c["name"]: c for c in fake.commands}
        for name in ("recap", "Recap this video"):
            assert commands[name]["integration_types"] == [GUILD_INSTALL, USER_INSTALL], name
            assert commands[name]["contexts"] == [GUILD, BOT_DM, PRIVATE_CHANNEL], name


async def test_commands_are_registered_only_when_they_changed(fake, tmp_path):
    assistant = new_assistant(tmp_path)

    def writes() -> int:
        return len(fake.requests_to("PUT", COMMANDS, ok=True))

    async with running(client(assistant), fake, until="guild"):
        assert writes() == 1  # a new application: registered
    registered = copy.deepcopy(fake.commands)

    async with running(client(assistant), fake, until="guild"):  # a restart: read once, nothing written
        assert writes() == 1 and len(fake.requests_to("GET", COMMANDS, ok=True)) == 2
    assert fake.commands == registered  # same ids and versions: Discord was not touched

    fake.commands = [c for c in fake.commands if c["name"] != "recap-settings"]  # deleted by hand
    async with running(client(assistant), fake, until="guild"):
        assert writes() == 2
        assert "recap-settings" in {c["name"] for c in fake.commands}

    upgraded = client(assistant)  # a new version of recap, with one more command

    @upgraded.tree.command(name="recap-extra", description="a command this version adds")
    async def extra(interaction: discord.Interaction) -> None: ...

    async with running(upgraded, fake, until="guild"):
        assert writes() == 3 and "recap-extra" in {c["name"] for c in fake.commands}


def test_what_discord_adds_or_leaves_out_is_no_change():
    ours = [
        {
            "name": "recap",
            "description": "Digests",
            "type": 1,
            "options": [{"type": 3, "name": "url", "description": "link", "required": False}],
            "nsfw": False,
            "default_member_permissions": None,
            "contexts": [0, 1, 2],
            "integration_types": [0, 1],
            "name_localizations": {},
        }
    ]
    stored = copy.deepcopy(ours)
    stored[0].update(id="1", application_id="2", version="3", guild_id="4", name_localizations=None)
    ours[0]["default_member_permissions"], stored[0]["default_member_permissions"] = 32, "32"
    del stored[0]["options"][0]["required"]  # Discord leaves out a false "required"
    assert not differs(ours, stored)

    for change in (
        lambda c: c.update(description="Other"),
        lambda c: c.update(default_member_permissions="8"),
        lambda c: c.update(contexts=[0]),
        lambda c: c["options"][0].update(required=True),
        lambda c: c["options"].append({"type": 3, "name": "more", "description": "x"}),
    ):
        changed = copy.deepcopy(stored)
        change(changed[0])
        assert differs(ours, changed)
    assert differs(ours, stored + [{"name": "old", "type": 1, "description": "left over"}])
    assert differs(ours, [])
