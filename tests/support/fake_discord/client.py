"""Pointing discord.py at a FakeDiscord, and running a client against it.

`point_discord_py_at` sets, and restores on exit:

* `discord.http.Route.BASE = fake.rest_url` (`http://127.0.0.1:PORT/api/v10`). Every REST call,
  the interaction webhook ones included, builds its URL from this class attribute when the
  `Route` is created, so setting it before the calls is enough.
* `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`. A plain
  `discord.Client` never asks GET /gateway/bot: it connects to DEFAULT_GATEWAY (with
  `?v=10&encoding=json&compress=zlib-stream`), then resumes at READY's `resume_gateway_url`
  (the fake's URL too). `AutoShardedClient` asks GET /gateway/bot, which answers the fake's URL.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import yarl

from .guild import BOT_TOKEN, GUILD_ID
from .server import FakeDiscord


class point_discord_py_at:
    """Make every discord.Client (and its interaction webhooks) talk to `fake` until exit.

    Use as `with` or `async with` (e.g. `async with FakeDiscord() as fake, point_discord_py_at(fake):`).
    """

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def __enter__(self) -> FakeDiscord:
        import discord.gateway
        import discord.http

        self._old = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.fake.rest_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.fake.gateway_url)
        return self.fake

    def __exit__(self, *exc: Any) -> None:
        import discord.gateway
        import discord.http

        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._old

    async def __aenter__(self) -> FakeDiscord:
        return self.__enter__()

    async def __aexit__(self, *exc: Any) -> None:
        self.__exit__(*exc)


@contextlib.asynccontextmanager
async def running(
    client: Any,
    fake: FakeDiscord | None = None,
    *,
    token: str | None = None,
    timeout: float = 10.0,
    until: str = "ready",
) -> Any:
    """Run `client.start(token)` as a task until on_ready (`until="ready"`; note discord.py waits
    `guild_ready_timeout`, 2 s by default, after the last GUILD_CREATE) or until the guild is cached
    (`until="guild"`); close the client and await the task on exit. A start-up failure is raised."""
    token = token or (fake.token if fake is not None and fake.token else BOT_TOKEN)
    task = asyncio.create_task(client.start(token), name="discord-client-start")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def started() -> bool:
        if until == "guild":
            return client.get_guild(GUILD_ID) is not None
        return client.is_ready()

    try:
        while not started():
            if task.done():
                task.result()  # raises the start-up error
                raise RuntimeError("client.start() returned before the client was ready")
            if loop.time() > deadline:
                raise TimeoutError(f"discord client not {until} after {timeout}s")
            await asyncio.sleep(0.01)
        yield client
    except BaseException:
        await client.close()
        await asyncio.wait({task}, timeout=timeout)
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()  # retrieved: the error in flight says what went wrong
        raise
    await client.close()
    await asyncio.wait_for(task, timeout)  # client.start() returns once closed; raises what it raised
