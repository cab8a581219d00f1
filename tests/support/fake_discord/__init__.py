"""A fake Discord (REST API v10 + gateway) so tests run the real discord.py client against it.

    async with FakeDiscord() as fake, point_discord_py_at(fake):     # 127.0.0.1, ephemeral port
        client = discord.Client(intents=intents, guild_ready_timeout=0.05)
        async with running(client, fake):                   # client.start(fake.token) ... close()
            await fake.dispatch("MESSAGE_CREATE", fake.message("<@BOT> https://youtu.be/x"))
            [post] = await fake.wait_for("POST", rf"/channels/{CHANNEL_ID}/messages")
            post.json["content"], post.response["id"], fake.messages[CHANNEL_ID]

The pieces: `server` (FakeDiscord: life cycle, recording, scripting), `gateway` (the websocket),
`rest` (HTTP plumbing and the route table) with the routes in `application`, `channels`,
`messages` and `interactions`, `limits` (Discord's validation and error answers), `payloads` (the
events a test dispatches), `guild` (the synthesized guild and its ids), `constants` (Discord's
numbers), `records` (what is recorded), `client` (pointing discord.py at the fake).
"""

from .client import point_discord_py_at, running
from .guild import (
    ALICE_ID,
    APP_ID,
    BOT_ID,
    BOT_TOKEN,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FORUM_ID,
    GUILD_ID,
    THREAD_ID,
)
from .server import FakeDiscord

__all__ = [
    "ALICE_ID",
    "APP_ID",
    "BOT_ID",
    "BOT_TOKEN",
    "CHANNEL_ID",
    "DM_CHANNEL_ID",
    "FORUM_ID",
    "GUILD_ID",
    "THREAD_ID",
    "FakeDiscord",
    "point_discord_py_at",
    "running",
]
