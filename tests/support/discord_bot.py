"""recap's Discord client against a FakeDiscord, for the tests of tests/test_discord*.py: what
their `fake` and `assistant` fixtures make, and the helpers that start the client and wait for
the bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from adapters.discord.app import RecapClient
from bot.app import build_assistant
from bot.assistant import Assistant
from bot.settings import Settings
from tests.support.fake_discord import GUILD_ID, FakeDiscord, point_discord_py_at


@contextlib.asynccontextmanager
async def fake_discord(**options) -> AsyncIterator[FakeDiscord]:
    """A FakeDiscord that every discord.py client talks to until exit."""
    async with FakeDiscord(heartbeat_interval=0.2, **options) as fake, point_discord_py_at(fake):
        yield fake


def new_assistant(tmp_path: Path, name: str = "d") -> Assistant:
    return build_assistant(
        Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / f'{name}.sqlite3'}", allow_private_networks=True)
    )


def client(assistant, guild_id: int | None = GUILD_ID, **kw) -> RecapClient:
    """recap's client; its commands go to the test guild unless `guild_id` is None (global)."""
    return RecapClient(assistant, guild_id=guild_id, guild_ready_timeout=0.05, **kw)


async def settle(assistant, handled: int) -> None:
    """Wait until the bot has handled `handled` requests since the test began (discord.py runs
    handlers as tasks after the gateway delivered the event), then until their jobs are done."""
    try:
        await asyncio.wait_for(assistant.handled.reach(handled), 10)
    except TimeoutError:
        raise AssertionError(f"the bot handled {assistant.handled.count} requests, not {handled}") from None
    await assistant.runner.drain()


def text_of(request) -> str:
    return json.dumps(request.json, ensure_ascii=False)
