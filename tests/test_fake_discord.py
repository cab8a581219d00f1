"""The fake Discord (REST + gateway), exercised with the real discord.py client."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.support.fake_discord import (
    ALICE_ID,
    APP_ID,
    BOT_ID,
    BOT_TOKEN,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FORUM_ID,
    GUILD_ID,
    THREAD_ID,
    FakeDiscord,
    point_discord_py_at,
    running,
)

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


def intents(message_content: bool = True) -> discord.Intents:
    value = discord.Intents.default()
    value.message_content = message_content
    return value


def new_client(cls=discord.Client, **kw) -> discord.Client:
    kw.setdefault("intents", intents())
    return cls(guild_ready_timeout=0.05, **kw)


@pytest.fixture
async def fake():
    async with FakeDiscord(heartbeat_interval=0.2) as fake, point_discord_py_at(fake):
        yield fake


class Recorder(discord.Client):
    """Puts every on_message / on_interaction into queues."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.messages: asyncio.Queue[discord.Message] = asyncio.Queue()
        self.interactions: asyncio.Queue[discord.Interaction] = asyncio.Queue()
        self.threads: asyncio.Queue[discord.Thread] = asyncio.Queue()

    async def on_message(self, message):
        await self.messages.put(message)

    async def on_interaction(self, interaction):
        await self.interactions.put(interaction)

    async def on_thread_create(self, thread):
        await self.threads.put(thread)


async def next_item(queue: asyncio.Queue, timeout: float = 3.0):
    return await asyncio.wait_for(queue.get(), timeout)


# -- connecting ----------------------------------------------------------------------------------


async def test_client_connects_and_sees_the_guild(fake: FakeDiscord):
    client = new_client()
    async with running(client, fake):
        assert client.user is not None and client.user.id == BOT_ID and client.user.bot
        assert client.application_id == APP_ID
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and not guild.unavailable
        channel = guild.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel) and channel.name == "general"
        assert isinstance(guild.get_channel(FORUM_ID), discord.ForumChannel)
        assert isinstance(guild.get_thread(THREAD_ID), discord.Thread)
        assert guild.me.id == BOT_ID
        assert channel.permissions_for(guild.me).send_messages
        assert channel.permissions_for(guild.me).create_public_threads
        await asyncio.sleep(0.3)  # a heartbeat or two
        assert fake.heartbeats >= 2
    assert fake.identify["intents"] == intents().value
    assert fake.identify["token"] == BOT_TOKEN
    assert fake.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert [r.path for r in fake.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    assert client.is_closed()


async def test_bad_token_is_a_login_failure(fake: FakeDiscord):
    client = new_client()
    with pytest.raises(discord.LoginFailure):
        async with running(client, fake, token="not-the-token"):
            pass


async def test_privileged_intent_not_enabled_closes_4014():
    async with FakeDiscord(privileged=()) as fake, point_discord_py_at(fake):
        client = new_client(intents=intents(message_content=True))
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running(client, fake):
                pass


# -- messages ------------------------------------------------------------------------------------


async def test_message_reply_thread_and_edit(fake: FakeDiscord):
    client = new_client(cls=Recorder)
    async with running(client, fake):
        sent = await fake.dispatch("MESSAGE_CREATE", fake.message(f"<@{BOT_ID}> https://youtu.be/abc"))
        got = await next_item(client.messages)
        assert got.content == f"<@{BOT_ID}> https://youtu.be/abc"
        assert got.author.id == ALICE_ID and isinstance(got.author, discord.Member)
        assert client.user in got.mentions
        assert got.channel.id == CHANNEL_ID and got.guild.id == GUILD_ID

        reply = await got.reply("Working on it…")
        thread = await got.create_thread(name="Recap: abc", auto_archive_duration=1440)
        await thread.send("first chunk")
        await reply.edit(content=None, embed=discord.Embed(title="Recap", description="done"))

        # the bot hears its own messages back, like on Discord
        echoed = await next_item(client.messages)
        assert echoed.author.id == BOT_ID and echoed.id == reply.id
        created = await next_item(client.threads)
        assert created.id == got.id

    [post] = fake.requests_to("POST", MESSAGES)
    assert post.json["content"] == "Working on it…"
    assert post.json["message_reference"]["message_id"] == int(sent["id"])
    assert post.response["type"] == 19 and post.response["referenced_message"]["id"] == sent["id"]
    [start] = fake.requests_to("POST", rf"{MESSAGES}/{got.id}/threads")
    assert start.json["name"] == "Recap: abc" and start.status == 201
    assert start.response["id"] == sent["id"] and start.response["type"] == 11
    assert start.response["parent_id"] == str(CHANNEL_ID)
    [in_thread] = fake.requests_to("POST", rf"/channels/{got.id}/messages")
    assert in_thread.json["content"] == "first chunk"
    [edit] = fake.requests_to("PATCH", rf"{MESSAGES}/{reply.id}")
    assert edit.json["embeds"][0]["description"] == "done" and edit.json["content"] is None

    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == [sent["content"], ""]
    assert fake.messages[CHANNEL_ID][1]["embeds"][0]["title"] == "Recap"
    assert fake.messages[CHANNEL_ID][1]["edited_timestamp"] is not None
    assert [m["content"] for m in fake.messages[got.id]] == ["first chunk"]
    assert fake.thread_for(got.id)["message_count"] == 1
    assert [m["id"] for m in fake.replies_to(got.id)] == [str(reply.id)]


async def test_a_second_thread_on_a_message_and_editing_others_are_refused(fake: FakeDiscord):
    client = new_client(cls=Recorder)
    async with running(client, fake):
        await fake.dispatch("MESSAGE_CREATE", fake.message("hello"))
        got = await next_item(client.messages)
        await got.create_thread(name="one")
        with pytest.raises(discord.HTTPException) as exc:
            await got.create_thread(name="two")
        assert exc.value.code == 160004
        with pytest.raises(discord.Forbidden) as exc:
            await got.edit(content="mine now")
        assert exc.value.code == 50005
        with pytest.raises(discord.HTTPException) as exc:  # replying to a message Discord never saw
            await got.channel.get_partial_message(1234).reply("x")
        assert exc.value.code == 50035 and "message_reference" in exc.value.text
        forum = client.get_channel(FORUM_ID)
        made = await forum.create_thread(
            name="A recap", content="starter", file=discord.File(io.BytesIO(b"hi"), "a.txt")
        )
        assert made.thread.id == made.message.id and made.message.content == "starter"
    assert fake.messages[made.thread.id][0]["attachments"][0]["filename"] == "a.txt"


async def test_message_content_intent(fake: FakeDiscord):
    client = new_client(cls=Recorder, intents=intents(message_content=False))
    async with running(client, fake):
        sent = await fake.dispatch("MESSAGE_CREATE", fake.message("no mention here"))
        assert sent["content"] == ""
        assert (await next_item(client.messages)).content == ""
        await fake.dispatch("MESSAGE_CREATE", fake.message(f"<@{BOT_ID}> mentioned"))
        assert (await next_item(client.messages)).content == f"<@{BOT_ID}> mentioned"
        await fake.dispatch("MESSAGE_CREATE", fake.dm_message("in a DM"))
        dm = await next_item(client.messages)
        assert dm.content == "in a DM" and dm.guild is None and dm.channel.id == DM_CHANNEL_ID
        await dm.channel.send("DM reply")
    [post] = fake.requests_to("POST", rf"/channels/{DM_CHANNEL_ID}/messages")
    assert post.json["content"] == "DM reply"
    # the fake keeps what was really said
    assert fake.messages[CHANNEL_ID][0]["content"] == "no mention here"


async def test_files_are_uploaded_and_served(fake: FakeDiscord):
    client = new_client()
    async with running(client, fake):
        channel = client.get_channel(CHANNEL_ID)
        msg = await channel.send("see file", file=discord.File(io.BytesIO(b"transcript text"), "t.txt"))
        assert msg.attachments[0].filename == "t.txt"
        assert await msg.attachments[0].read() == b"transcript text"
    [post] = fake.requests_to("POST", MESSAGES)
    assert post.json["content"] == "see file"
    assert [(f.field, f.filename, f.data) for f in post.files] == [("files[0]", "t.txt", b"transcript text")]


# -- limits, errors, rate limits -----------------------------------------------------------------


async def test_limits_are_refused_like_discord(fake: FakeDiscord):
    client = new_client()
    async with running(client, fake):
        channel = client.get_channel(CHANNEL_ID)
        with pytest.raises(discord.HTTPException) as exc:
            await channel.send("x" * 2001)
        assert exc.value.status == 400 and exc.value.code == 50035
        assert "content" in exc.value.text and "2000" in exc.value.text
        await channel.send("x" * 2000)

        with pytest.raises(discord.HTTPException) as exc:
            await channel.send(embed=discord.Embed(description="d" * 4097))
        assert exc.value.code == 50035
        with pytest.raises(discord.HTTPException) as exc:
            await channel.send(embeds=[discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)])
        assert exc.value.code == 50035 and "6000" in exc.value.text
        with pytest.raises(discord.HTTPException) as exc:
            await channel.send("")
        assert exc.value.code == 50006

    bad = [r for r in fake.requests if r.status == 400]
    assert bad[0].response == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}
        },
    }
    assert bad[1].response["errors"] == {
        "embeds": {
            "0": {
                "description": {
                    "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 4096 or fewer in length."}]
                }
            }
        }
    }


async def test_raw_http_answers(fake: FakeDiscord):
    headers = {"Authorization": f"Bot {BOT_TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.rest_url}/users/@me", headers=headers) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(BOT_ID)
        async with http.get(f"{fake.rest_url}/nope/nothing", headers=headers) as resp:
            assert resp.status == 404 and await resp.json() == {"message": "404: Not Found", "code": 0}
        async with http.get(f"{fake.rest_url}/users/@me") as resp:
            assert resp.status == 401
        async with http.get(f"{fake.rest_url}/gateway/bot", headers=headers) as resp:
            assert (await resp.json())["url"] == fake.gateway_url
        embed = {
            "title": "t" * 257,
            "fields": [{"name": "n", "value": "v" * 1025}] * 26,
            "footer": {"text": "f" * 2049},
        }
        url = f"{fake.rest_url}/channels/{CHANNEL_ID}/messages"
        async with http.post(url, json={"embeds": [embed] * 11}, headers=headers) as resp:
            assert resp.status == 400
            errors = (await resp.json())["errors"]["embeds"]
        assert errors["_errors"][0]["message"] == "Must be 10 or fewer in length."
        assert errors["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
        assert errors["0"]["fields"]["_errors"][0]["message"] == "Must be 25 or fewer in length."
        assert errors["0"]["fields"]["0"]["value"]["_errors"][0]["message"] == "Must be 1024 or fewer in length."
        assert errors["0"]["footer"]["text"]["_errors"][0]["message"] == "Must be 2048 or fewer in length."


async def test_429_is_retried_by_discord_py(fake: FakeDiscord):
    client = new_client()
    async with running(client, fake):
        fake.rate_limit(MESSAGES, times=1, retry_after=0.05)
        msg = await client.get_channel(CHANNEL_ID).send("after a wait")
        assert msg.content == "after a wait"
    first, second = fake.requests_to("POST", MESSAGES)
    assert first.status == 429 and first.response["retry_after"] == 0.05
    assert second.status == 200
    assert len(fake.messages[CHANNEL_ID]) == 1


async def test_resume_after_reconnect(fake: FakeDiscord):
    client = new_client(cls=Recorder)
    resumed = asyncio.Event()

    @client.event
    async def on_resumed():
        resumed.set()

    async with running(client, fake):
        await fake.reconnect()
        await asyncio.wait_for(resumed.wait(), 3)
        assert fake.resumes[0]["session_id"] == fake.session_id
        await fake.dispatch("MESSAGE_CREATE", fake.message("still here"))
        assert (await next_item(client.messages)).content == "still here"
    assert fake.connections == 2 and len(fake.identifies) == 1


# -- interactions --------------------------------------------------------------------------------


class Bot(discord.Client):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.tree = app_commands.CommandTree(self)
        self.seen: asyncio.Queue[discord.Interaction] = asyncio.Queue()
        self.done: asyncio.Queue[str] = asyncio.Queue()
        guild = discord.Object(GUILD_ID)

        @self.tree.command(name="recap", description="Recap a video", guild=guild)
        @app_commands.describe(url="The video link")
        async def recap(interaction: discord.Interaction, url: str, minutes: int = 5):
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"digest of {url} ({minutes} min)", embed=discord.Embed(title="Digest"))
            await self.done.put("recap")

        @self.tree.context_menu(name="Recap this", guild=guild)
        async def recap_this(interaction: discord.Interaction, message: discord.Message):
            await interaction.response.send_message(f"recapping {message.content}", ephemeral=True)
            await self.done.put("context")

        @self.tree.command(name="ask", description="Ask about a video", guild=guild)
        async def ask(interaction: discord.Interaction):
            await interaction.response.send_message("Ask away", view=AskView(self))
            await self.done.put("ask")

    async def setup_hook(self):
        await self.tree.sync(guild=discord.Object(GUILD_ID))

    async def on_interaction(self, interaction):
        await self.seen.put(interaction)


class Question(discord.ui.Modal, title="Ask a question"):
    question = discord.ui.TextInput(label="Question", custom_id="question", max_length=500)

    def __init__(self, bot: Bot):
        super().__init__(custom_id="ask-modal")
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction):
        await interaction.response.send_message(f"Q: {self.question.value}")
        await self.bot.done.put("modal")


class AskView(discord.ui.View):
    def __init__(self, bot: Bot):
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(label="Ask", custom_id="ask-button")
    async def ask(self, interaction: discord.Interaction, button: discord.ui.Button):
        await interaction.response.send_modal(Question(self.bot))
        await self.bot.done.put("button")


async def test_slash_command_deferred_then_followed_up(fake: FakeDiscord):
    client = new_client(cls=Bot)
    async with running(client, fake):
        [sync] = fake.requests_to("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
        assert sorted(c["name"] for c in sync.json) == ["Recap this", "ask", "recap"]
        payload = fake.slash_command("recap", {"url": "https://youtu.be/abc", "minutes": 3})
        assert payload["data"]["guild_id"] == str(GUILD_ID)
        await fake.dispatch("INTERACTION_CREATE", payload)
        seen = await next_item(client.seen)
        assert seen.type is discord.InteractionType.application_command and seen.command.name == "recap"
        assert await next_item(client.done) == "recap"

    iid, token = payload["id"], payload["token"]
    [callback] = fake.requests_to("POST", rf"/interactions/{iid}/{token}/callback")
    assert callback.json == {"type": 5} and callback.query == {"with_response": "1"}
    [followup] = fake.requests_to("POST", rf"/webhooks/{APP_ID}/{token}")
    assert followup.query["wait"] == "1"
    assert followup.json["content"] == "digest of https://youtu.be/abc (3 min)"
    assert followup.json["embeds"][0]["title"] == "Digest"
    record = fake.interactions[iid]
    assert record.response_type == 5
    # the first followup replaced the "thinking" message
    assert followup.response["id"] == record.original_id and not followup.response["flags"] & 128
    [answer] = fake.messages[CHANNEL_ID]
    assert answer["content"].startswith("digest of") and answer["interaction_metadata"]["name"] == "recap"


async def test_button_modal_and_context_menu(fake: FakeDiscord):
    client = new_client(cls=Bot)
    async with running(client, fake):
        await fake.dispatch("INTERACTION_CREATE", fake.slash_command("ask"))
        assert await next_item(client.done) == "ask"
        [asked] = fake.messages[CHANNEL_ID]
        await fake.dispatch("INTERACTION_CREATE", fake.component("ask-button", asked["id"]))
        assert await next_item(client.done) == "button"
        assert fake.modals[-1]["data"]["title"] == "Ask a question"
        await fake.dispatch("INTERACTION_CREATE", fake.modal_submit(fields={"question": "Why?"}))
        assert await next_item(client.done) == "modal"

        sent = await fake.dispatch("MESSAGE_CREATE", fake.message("a long talk"))
        await fake.dispatch("INTERACTION_CREATE", fake.message_context_menu("Recap this", sent["id"]))
        assert await next_item(client.done) == "context"

    types = [r.json["type"] for r in fake.requests_to("POST", r"/interactions/\d+/[^/]+/callback")]
    assert types == [4, 9, 4, 4]
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["Ask away", "Q: Why?", "a long talk"]
    assert fake.ephemeral[0]["content"] == "recapping a long talk" and fake.ephemeral[0]["flags"] & 64


async def test_late_and_double_interaction_responses(fake: FakeDiscord):
    fake.interaction_deadline = 0.05
    client = new_client(cls=Recorder)
    async with running(client, fake):
        await fake.dispatch("INTERACTION_CREATE", fake.slash_command("whatever"))
        late = await next_item(client.interactions)
        await asyncio.sleep(0.1)
        with pytest.raises(discord.NotFound) as exc:
            await late.response.defer()
        assert exc.value.code == 10062

    payload = fake.slash_command("whatever")
    await fake.dispatch("INTERACTION_CREATE", payload, raw=True)
    url = f"{fake.rest_url}/interactions/{payload['id']}/{payload['token']}/callback"
    async with aiohttp.ClientSession() as http:
        fake.interaction_deadline = 3.0
        async with http.post(f"{fake.rest_url}/webhooks/{APP_ID}/{payload['token']}", json={"content": "x"}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10015
        async with http.post(url, json={"type": 4, "data": {"content": "hi"}}) as resp:
            assert resp.status == 204
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 40060
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["hi"]


async def test_until_guild_skips_the_ready_delay(fake: FakeDiscord):
    client = Recorder(intents=intents())  # discord.py's default guild_ready_timeout: on_ready 2 s later
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with running(client, fake, until="guild"):
        assert client.get_guild(GUILD_ID) is not None and not client.is_ready()
        await fake.dispatch("MESSAGE_CREATE", fake.message("early"))
        assert (await next_item(client.messages)).content == "early"
    assert loop.time() - started < 1.5


async def test_permissions_and_scripted_failures(fake: FakeDiscord):
    client = new_client(cls=Recorder)
    async with running(client, fake):
        await fake.dispatch("MESSAGE_CREATE", fake.message("hello"))
        got = await next_item(client.messages)
        fake.bot_permissions &= ~(1 << 35)  # CREATE_PUBLIC_THREADS, from the bot's role
        fake.everyone_permissions &= ~(1 << 35)  # and from @everyone
        with pytest.raises(discord.Forbidden) as exc:
            await got.create_thread(name="nope")
        assert exc.value.code == 50013
        fake.fail(MESSAGES, 403, 50001, "Missing Access")
        with pytest.raises(discord.Forbidden) as exc:
            await got.channel.send("x")
        assert exc.value.code == 50001
        await got.channel.send("fine again")
    assert [r.status for r in fake.requests_to("POST", MESSAGES)] == [403, 200]


async def test_raw_gateway_protocol(fake: FakeDiscord):
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 200
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": BOT_TOKEN, "intents": 513, "properties": {}}})
            ready = await ws.receive_json()
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["guilds"] == [{"id": str(GUILD_ID), "unavailable": True}]
            assert ready["d"]["application"] == {"id": str(APP_ID), "flags": 1 << 19}
            guild = await ws.receive_json()
            assert (guild["t"], guild["s"]) == ("GUILD_CREATE", 2)
            assert [m["user"]["id"] for m in guild["d"]["members"]] == [str(BOT_ID)]  # no GUILD_MEMBERS
            sent = await fake.dispatch("MESSAGE_CREATE", fake.message("hi"))
            event = await ws.receive_json()
            assert event["t"] == "MESSAGE_CREATE" and event["d"]["content"] == "" == sent["content"]
            await ws.send_json({"op": 2, "d": {"token": BOT_TOKEN, "intents": 513}})
            closed = await ws.receive()
            assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4005
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513}})
            assert (await ws.receive()).data == 4004
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 6, "d": {"token": BOT_TOKEN, "session_id": "stale", "seq": 3}})
            assert (await ws.receive_json()) == {"op": 9, "d": False, "s": None, "t": None}
