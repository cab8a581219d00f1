"""A fake Discord (REST API v10 + gateway) so tests run the real discord.py client against it.

    async with FakeDiscord() as fake, point_discord_py_at(fake):     # 127.0.0.1, ephemeral port
        client = discord.Client(intents=intents, guild_ready_timeout=0.05)
        async with running(client, fake):                   # client.start(fake.token) ... close()
            await fake.dispatch("MESSAGE_CREATE", fake.message("<@BOT> https://youtu.be/x"))
            [post] = await fake.wait_for("POST", rf"/channels/{CHANNEL_ID}/messages")
            post.json["content"], post.response["id"], fake.messages[CHANNEL_ID]

Pointing discord.py at it (what `point_discord_py_at` sets, and restores on exit):

* `discord.http.Route.BASE = fake.rest_url` (`http://127.0.0.1:PORT/api/v10`). Every REST call,
  the interaction webhook ones included, builds its URL from this class attribute when the
  `Route` is created, so setting it before the calls is enough.
* `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`. A plain
  `discord.Client` never asks GET /gateway/bot: it connects to DEFAULT_GATEWAY (with
  `?v=10&encoding=json&compress=zlib-stream`), then resumes at READY's `resume_gateway_url`
  (the fake's URL too). `AutoShardedClient` asks GET /gateway/bot, which answers the fake's URL.

Gateway (like Discord's, as far as discord.py can tell): HELLO (heartbeat_interval from
`heartbeat_interval`, seconds), heartbeat ACKs, IDENTIFY -> READY (guild unavailable) then
GUILD_CREATE (roles, members, channels, threads); zlib-stream compressed binary frames when the
URL asks for `compress=zlib-stream` (plain text frames otherwise); RESUME replays the missed events
then RESUMED (an unknown session gets INVALID_SESSION); REQUEST_GUILD_MEMBERS -> one
GUILD_MEMBERS_CHUNK. Close codes: bad token 4004, a privileged intent not enabled for the app
(`privileged=`, default only message_content) 4014, IDENTIFY twice 4005, a payload before IDENTIFY
4003, unknown opcode 4001, bad JSON 4002. Events honour the IDENTIFY intents: no GUILD_MESSAGES ->
no guild MESSAGE_CREATE; no MESSAGE_CONTENT -> content / embeds / attachments / components come
empty unless the bot is mentioned, wrote it, or it is a DM. The bot's own posts, edits and thread
creations come back as MESSAGE_CREATE / MESSAGE_UPDATE / THREAD_CREATE, as on Discord (`echo=False`
turns that off). `reconnect()` sends op 7, `invalidate_session()` op 9.

REST (answers are `Content-Type: application/json` exactly, with X-RateLimit-* headers): users/@me,
gateway(/bot), (oauth2/)applications/@me, application commands (global and guild: GET, PUT bulk
overwrite keeping ids by name, POST, PATCH, DELETE), channels (GET, PATCH), messages (list, GET,
POST JSON or multipart with files, PATCH, DELETE), threads (from a message: the thread id is the
message id, one per message; without a message; in a forum with its starter message),
thread-members/@me, reactions/@me, typing, users/@me/channels (DM), guilds (GET, channels,
member), interaction callbacks (types 4, 5, 6, 7, 8, 9; 3-second deadline -> 10062; twice ->
40060), interaction webhooks (followups, GET/PATCH/DELETE @original and followups; the first
followup after a type-5 defer replaces the "thinking" message, as on Discord). Uploaded files are
kept and served back at the attachment URL. Errors are Discord's: 401, 403 50013 (missing
permission, see `bot_permissions`), 403 50005 (editing another user's message), 404 with
10003/10008/10015/10062..., 405, 50006 empty message, 160004 thread exists, 40005 file over
10 MiB, 50109 bad JSON, and 400 50035 "Invalid Form Body" with Discord's nested `errors` for:
content > 2000, > 10 embeds, title > 256, description > 4096, > 25 fields, field name > 256 /
value > 1024, footer > 2048, author name > 256, all embeds > 6000 chars, bad embed URLs, > 5 action
rows / > 5 buttons a row, custom_id > 100, duplicate custom_ids, label > 80, select options, modal
limits (title 45, 1..5 components, label 45), thread names, command names. Unknown routes -> 404
`{"message": "404: Not Found", "code": 0}`.

Scripting: `rate_limit(path_regex, times, retry_after)` -> 429 as Discord sends it (Retry-After,
X-RateLimit-*, `Via`, JSON body; discord.py treats a 429 without `Via` as a Cloudflare ban);
`fail(path_regex, status, code, message)` -> any other error.

Recording: every REST request is a `Request` in `fake.requests` (method, path below /api/v10,
query, headers, json (for multipart: payload_json), files (bytes), status, response).
`requests_to(method, path_regex)` / `await wait_for(method, path_regex, count)` (fullmatch on the
path). State: `messages[channel_id]` (ids may be int or str), `channels`, `threads`, `commands`,
`interactions[id]`, `modals`, `ephemeral`, `identify`, `intents`, `heartbeats`, `dispatched`.

Payload builders (plain dicts, as Discord sends them; dispatch them with `await fake.dispatch(...)`):
`message`, `dm_message`, `bot_message`, `attachment`, `slash_command`, `message_context_menu`,
`component`, `modal_submit`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import yarl
from aiohttp import WSMsgType, web

# -- the fake guild ----------------------------------------------------------------------------

API_VERSION = 10
DISCORD_EPOCH = 1420070400000

BOT_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GfAkEd.fake-bot-token-for-tests-only-0000000000"
APP_ID = BOT_ID = 1300000000000000001  # new applications: the bot user's id is the application id
BOT_NAME = "recap"
GUILD_ID = 1300000000000000100
GUILD_NAME = "Recap Test Server"
CHANNEL_ID = 1300000000000000200  # text channel "general"
CHANNEL_NAME = "general"
OTHER_CHANNEL_ID = 1300000000000000201  # text channel "random"
FORUM_ID = 1300000000000000300  # forum channel "recaps"
THREAD_ID = 1300000000000000400  # an existing public thread in #general, started by alice
ALICE_ID = 1300000000000000500  # the guild owner, a human
BOB_ID = 1300000000000000501  # another human
OTHER_BOT_ID = 1300000000000000502  # some other bot in the guild
BOT_ROLE_ID = 1300000000000000600  # the bot's managed role
DM_CHANNEL_ID = 1300000000000000700  # alice <-> bot DM channel

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
INTERACTION_DEADLINE = 3.0

# channel types
TEXT, DM, NEWS, NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD, FORUM = 0, 1, 5, 10, 11, 12, 15
THREAD_TYPES = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)

# gateway intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
DIRECT_MESSAGE_TYPING = 1 << 14
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = {"members": GUILD_MEMBERS, "presences": GUILD_PRESENCES, "message_content": MESSAGE_CONTENT}
# application flags Discord sets when a privileged intent is enabled (for an unverified app)
_PRIVILEGED_APP_FLAGS = {"presences": 1 << 13, "members": 1 << 15, "message_content": 1 << 19}

# permissions
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ADMINISTRATOR = 1 << 3
EVERYONE_PERMISSIONS = (
    ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS

_last_snowflake = 0


def snowflake() -> int:
    """A fresh Discord id: milliseconds since the Discord epoch << 22, unique and increasing."""
    global _last_snowflake
    value = ((int(time.time() * 1000) - DISCORD_EPOCH) << 22) | (1 << 17)
    if value <= _last_snowflake:
        value = _last_snowflake + 1
    _last_snowflake = value
    return value


def snowflake_iso(value: int | str) -> str:
    ms = (int(value) >> 22) + DISCORD_EPOCH
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).isoformat()


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def user_payload(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> dict:
    data = {
        "id": str(user_id),
        "username": username,
        "global_name": global_name,
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if bot:
        data["bot"] = True
    return data


class IdMap(dict):
    """A dict keyed by Discord ids as strings that also accepts int keys; `missing` for absent keys."""

    def __init__(self, missing: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self._missing = missing

    def __missing__(self, key: Any) -> Any:
        if self._missing is None:
            raise KeyError(key)
        return self._missing()

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(str(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(str(key), value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(str(key))

    def __contains__(self, key: Any) -> bool:
        return super().__contains__(str(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(str(key), default)

    def pop(self, key: Any, *default: Any) -> Any:
        return super().pop(str(key), *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return super().setdefault(str(key), default)


# -- recording ---------------------------------------------------------------------------------


@dataclass
class Upload:
    field: str  # "files[0]"
    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str  # below /api/v10, e.g. "/channels/123/messages"
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None  # the JSON body, or payload_json of a multipart body
    files: list[Upload] = field(default_factory=list)
    status: int = 0
    response: Any = None  # the JSON the fake answered (None for 204)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class InteractionRecord:
    payload: dict  # the INTERACTION_CREATE data as dispatched
    created: float  # loop time of the dispatch
    response_type: int | None = None
    response: dict | None = None  # the callback body
    original_id: str | None = None  # id of the message @original refers to
    loading: bool = False  # a type-5 "thinking" message not yet replaced
    followup_ids: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.payload["id"]

    @property
    def token(self) -> str:
        return self.payload["token"]


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict:
        body: dict = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def _not_found(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


class _FormErrors:
    """Collects Discord's nested 50035 `errors` object."""

    def __init__(self) -> None:
        self.errors: dict = {}

    def add(self, path: tuple, code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple, value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: tuple, value: Any, low: int, high: int) -> None:
        if value is None or not (low <= len(value) <= high):
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise DiscordError(400, 50035, "Invalid Form Body", self.errors)


_URL = re.compile(r"^(https?|attachment)://\S+$")


def _embed_errors(errors: _FormErrors, embeds: Any, prefix: tuple) -> None:
    if not isinstance(embeds, list):
        errors.add(prefix, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    errors.max_length(prefix, embeds, 10)
    total = 0
    for i, embed in enumerate(embeds):
        path = prefix + (i,)
        if not isinstance(embed, dict):
            errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType.")
            continue
        title, description = embed.get("title"), embed.get("description")
        errors.max_length(path + ("title",), title, 256)
        errors.max_length(path + ("description",), description, 4096)
        total += len(title or "") + len(description or "")
        fields = embed.get("fields") or []
        errors.max_length(path + ("fields",), fields, 25)
        for j, f in enumerate(fields):
            name, value = f.get("name"), f.get("value")
            for key, val, limit in (("name", name, 256), ("value", value, 1024)):
                if val is None or val == "":
                    errors.add(path + ("fields", j, key), "BASE_TYPE_REQUIRED", "This field is required")
                else:
                    errors.max_length(path + ("fields", j, key), val, limit)
            total += len(name or "") + len(value or "")
        footer = embed.get("footer") or {}
        if footer:
            if not footer.get("text"):
                errors.add(path + ("footer", "text"), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("footer", "text"), footer.get("text"), 2048)
            total += len(footer.get("text") or "")
        author = embed.get("author") or {}
        if author:
            if not author.get("name"):
                errors.add(path + ("author", "name"), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("author", "name"), author.get("name"), 256)
            total += len(author.get("name") or "")
        for key in ("url",):
            if embed.get(key) is not None and not _URL.match(str(embed[key])):
                errors.add(path + (key,), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        for key in ("thumbnail", "image", "video"):
            if isinstance(embed.get(key), dict) and not _URL.match(str(embed[key].get("url", ""))):
                errors.add(path + (key, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            errors.add(path + ("color",), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.")
    if total > 6000:
        errors.add(prefix, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _component_errors(errors: _FormErrors, components: Any, prefix: tuple, *, v2: bool, modal: bool = False) -> None:
    if not isinstance(components, list):
        errors.add(prefix, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    seen: set[str] = set()

    def check_item(item: dict, path: tuple) -> None:
        ctype = item.get("type")
        custom_id = item.get("custom_id")
        if custom_id is not None:
            errors.max_length(path + ("custom_id",), custom_id, 100)
            if custom_id in seen:
                errors.add(path + ("custom_id",), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
            seen.add(custom_id)
        if ctype == 2:  # button
            if item.get("style") == 5:
                if not _URL.match(str(item.get("url", ""))):
                    errors.add(path + ("url",), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
            elif item.get("style") != 6 and not custom_id:
                errors.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("label",), item.get("label"), 80)
        elif ctype in (3, 5, 6, 7, 8):  # selects
            if not custom_id:
                errors.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("placeholder",), item.get("placeholder"), 150)
            if ctype == 3:
                options = item.get("options") or []
                if not 1 <= len(options) <= 25:
                    errors.add(path + ("options",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
                for k, option in enumerate(options):
                    errors.max_length(path + ("options", k, "label"), option.get("label"), 100)
                    errors.max_length(path + ("options", k, "value"), option.get("value"), 100)
        elif ctype == 4:  # text input
            if not modal:
                errors.add(path + ("type",), "COMPONENT_TYPE_INVALID", "Text inputs are only valid in modals")
            if not custom_id:
                errors.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("label",), item.get("label"), 45)
            errors.max_length(path + ("placeholder",), item.get("placeholder"), 100)
            errors.max_length(path + ("value",), item.get("value"), 4000)
        for key in ("components",):
            for k, child in enumerate(item.get(key) or []):
                check_item(child, path + (key, k))
        for key in ("component", "accessory"):
            if isinstance(item.get(key), dict):
                check_item(item[key], path + (key,))

    if not v2:
        errors.max_length(prefix, components, 5)
    for i, row in enumerate(components):
        path = prefix + (i,)
        if not v2 and not modal and row.get("type") != 1:
            errors.add(path + ("type",), "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (1,).")
            continue
        if row.get("type") == 1:
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errors.add(path + ("components",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            if len(children) > 1 and any(c.get("type") in (3, 4, 5, 6, 7, 8) for c in children):
                errors.add(path + ("components",), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                           "The specified component exceeds the maximum width")
        check_item(row, path)


def _message_errors(body: dict, *, files: list[Upload], prefix: tuple = (), edit: bool = False,
                    has_attachments: bool = False) -> None:
    """Discord's checks on a message create / edit body; raises DiscordError."""
    errors = _FormErrors()
    content = body.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors.add(prefix + ("content",), "STRING_TYPE_CONVERT", "Could not interpret value as string.")
        else:
            errors.max_length(prefix + ("content",), content, 2000)
    if body.get("embeds") is not None:
        _embed_errors(errors, body["embeds"], prefix + ("embeds",))
    if body.get("embed") is not None:
        _embed_errors(errors, [body["embed"]], prefix + ("embeds",))
    flags = body.get("flags") or 0
    if body.get("components") is not None:
        _component_errors(errors, body["components"], prefix + ("components",), v2=bool(flags & (1 << 15)))
    if len(files) > 10:
        errors.add(prefix + ("files",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    errors.raise_if_any()
    for upload in files:
        if len(upload.data) > ATTACHMENT_SIZE_LIMIT:
            raise DiscordError(413, 40005, "Request entity too large")
    if not edit:
        empty = (
            not (content or "").strip()
            and not body.get("embeds")
            and not body.get("embed")
            and not files
            and not has_attachments
            and not body.get("components")
            and not body.get("sticker_ids")
            and not body.get("poll")
        )
        if empty:
            raise DiscordError(400, 50006, "Cannot send an empty message")


def _modal_errors(data: dict) -> None:
    errors = _FormErrors()
    errors.length_between(("data", "title"), data.get("title"), 1, 45)
    errors.length_between(("data", "custom_id"), data.get("custom_id"), 1, 100)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    else:
        _component_errors(errors, components, ("data", "components"), v2=False, modal=True)
    errors.raise_if_any()


_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


# -- the server --------------------------------------------------------------------------------


class _Conn:
    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compressor = zlib.compressobj() if compress == "zlib-stream" else None
        self.zstd = None
        if compress == "zstd-stream":
            try:  # discord.py only asks for zstd when it can decompress it
                import zstandard  # type: ignore

                self.zstd = zstandard.ZstdCompressor()
            except ImportError:
                pass
        self.identified = False
        self.lock = asyncio.Lock()

    async def send(self, payload: dict) -> None:
        text = json.dumps(payload, ensure_ascii=False)
        async with self.lock:
            if self.ws.closed:
                return
            if self.compressor is not None:
                data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            elif self.zstd is not None:
                await self.ws.send_bytes(self.zstd.compress(text.encode()))
            else:
                await self.ws.send_str(text)

    async def close(self, code: int, message: str) -> None:
        await self.ws.close(code=code, message=message.encode())


class _Session:
    def __init__(self, intents: int) -> None:
        self.id = secrets.token_hex(16)
        self.seq = 0
        self.intents = intents
        self.buffer: list[dict] = []
        self.conn: _Conn | None = None


_Route = tuple[str, "re.Pattern[str]", Callable[..., Any]]


class FakeDiscord:
    """An aiohttp server on 127.0.0.1 that speaks Discord's REST API and gateway; see the module doc."""

    def __init__(
        self,
        *,
        token: str | None = BOT_TOKEN,
        heartbeat_interval: float = 1.0,
        privileged: tuple[str, ...] | set[str] = ("message_content",),
        bot_permissions: int = BOT_PERMISSIONS,
        everyone_permissions: int = EVERYONE_PERMISSIONS,
        interaction_deadline: float = INTERACTION_DEADLINE,
        echo: bool = True,
    ) -> None:
        self.token = token  # None: any bot token is accepted
        self.heartbeat_interval = heartbeat_interval
        self.privileged = set(privileged)
        self.bot_permissions = bot_permissions
        self.everyone_permissions = everyone_permissions
        self.interaction_deadline = interaction_deadline
        self.echo = echo

        self.port = 0
        self.requests: list[Request] = []
        self.identifies: list[dict] = []
        self.resumes: list[dict] = []
        self.presence_updates: list[dict] = []
        self.heartbeats = 0
        self.connections = 0
        self.gateway_queries: list[dict] = []  # query of each gateway connection (v, encoding, compress)
        self.dispatched: list[dict] = []  # every dispatch sent (op 0 payloads)
        self.modals: list[dict] = []  # data of type-9 callbacks
        self.ephemeral: list[dict] = []  # ephemeral messages (not in any channel)
        self.interactions: IdMap = IdMap()
        self.commands: list[dict] = []  # registered application commands (guild ones have guild_id)

        self.bot_user = user_payload(BOT_ID, BOT_NAME, bot=True)
        self.users: IdMap = IdMap()
        for u in (
            self.bot_user,
            user_payload(ALICE_ID, "alice", global_name="Alice"),
            user_payload(BOB_ID, "bob", global_name="Bob"),
            user_payload(OTHER_BOT_ID, "otherbot", bot=True),
        ):
            self.users[u["id"]] = u
        self.members: IdMap = IdMap()  # guild members by user id
        joined = "2024-01-15T10:00:00.000000+00:00"
        for uid, roles in ((BOT_ID, [str(BOT_ROLE_ID)]), (ALICE_ID, []), (BOB_ID, []), (OTHER_BOT_ID, [])):
            self.members[uid] = {
                "user": self.users[uid], "nick": None, "avatar": None, "banner": None, "roles": roles,
                "joined_at": joined, "premium_since": None, "deaf": False, "mute": False, "flags": 0,
                "pending": False, "communication_disabled_until": None,
            }
        self.channels: IdMap = IdMap()
        for cid, name, ctype, position in (
            (CHANNEL_ID, CHANNEL_NAME, TEXT, 0),
            (OTHER_CHANNEL_ID, "random", TEXT, 1),
            (FORUM_ID, "recaps", FORUM, 2),
        ):
            channel = {
                "id": str(cid), "type": ctype, "guild_id": str(GUILD_ID), "name": name, "position": position,
                "parent_id": None, "topic": None, "nsfw": False, "last_message_id": None,
                "rate_limit_per_user": 0, "permission_overwrites": [], "flags": 0,
            }
            if ctype == FORUM:
                channel.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None,
                               default_forum_layout=0, default_thread_rate_limit_per_user=0,
                               default_auto_archive_duration=1440)
            self.channels[cid] = channel
        self.channels[THREAD_ID] = self._thread_payload(THREAD_ID, CHANNEL_ID, "earlier chat", ALICE_ID, joined=False)
        self.channels[DM_CHANNEL_ID] = {
            "id": str(DM_CHANNEL_ID), "type": DM, "last_message_id": None, "flags": 0,
            "recipients": [self.users[ALICE_ID]],
        }
        self.messages: IdMap = IdMap(missing=list)  # channel id -> [message], oldest first
        self._message_index: dict[str, dict] = {}
        self._files: dict[str, Upload] = {}  # attachment id -> bytes

        self._routes: list[_Route] = []
        self._rules: list[dict] = []  # rate_limit / fail scripting
        self._session: _Session | None = None
        self._conns: set[_Conn] = set()
        self._tasks: set[asyncio.Task] = set()
        self._cond: asyncio.Condition | None = None
        self.ready: asyncio.Event | None = None  # set once READY + GUILD_CREATE went out
        self._runner: web.AppRunner | None = None
        self._dispatch_lock: asyncio.Lock | None = None

    # -- life cycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> "FakeDiscord":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def start(self) -> None:
        self._cond = asyncio.Condition()
        self.ready = asyncio.Event()
        self._dispatch_lock = asyncio.Lock()
        self._build_routes()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{channel}/{attachment}/{filename}", self._download)
        app.router.add_route("*", r"/api/v{version:\d+}{tail:/.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await conn.close(1001, "fake discord shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def identify(self) -> dict | None:
        """The last IDENTIFY payload's `d` (token, intents, properties, ...)."""
        return self.identifies[-1] if self.identifies else None

    @property
    def intents(self) -> int | None:
        return self.identify.get("intents") if self.identify else None

    @property
    def session_id(self) -> str | None:
        return self._session.id if self._session else None

    @property
    def threads(self) -> list[dict]:
        return [c for c in self.channels.values() if c["type"] in THREAD_TYPES]

    # -- recording queries --------------------------------------------------------------------

    def requests_to(self, method: str | None, path: str, *, ok: bool | None = None) -> list[Request]:
        """Recorded requests whose method matches (None or "*": any) and path fullmatches `path`."""
        pattern = re.compile(path)
        return [
            r for r in self.requests
            if (method in (None, "*") or r.method == method.upper())
            and pattern.fullmatch(r.path)
            and (ok is None or r.ok == ok)
        ]

    async def wait_for(self, method: str | None, path: str, count: int = 1, timeout: float = 5.0,
                       *, ok: bool | None = None) -> list[Request]:
        """Wait until at least `count` matching requests were answered; returns them all."""
        assert self._cond is not None
        try:
            async with self._cond:
                await asyncio.wait_for(
                    self._cond.wait_for(lambda: len(self.requests_to(method, path, ok=ok)) >= count), timeout
                )
        except asyncio.TimeoutError:
            seen = "\n  ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests) or "(none)"
            found = len(self.requests_to(method, path, ok=ok))
            raise AssertionError(
                f"waited {timeout}s for {count} x {method} {path}, got {found}; requests:\n  {seen}"
            ) from None
        return self.requests_to(method, path, ok=ok)

    async def _notify(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    def message_by_id(self, message_id: int | str) -> dict | None:
        return self._message_index.get(str(message_id))

    def bot_messages(self, channel_id: int | str) -> list[dict]:
        return [m for m in self.messages[channel_id] if m["author"]["id"] == str(BOT_ID)]

    def replies_to(self, message_id: int | str) -> list[dict]:
        """Messages (any channel) whose message_reference points at `message_id`."""
        return [
            m for m in self._message_index.values()
            if (m.get("message_reference") or {}).get("message_id") == str(message_id)
        ]

    def thread_for(self, message_id: int | str) -> dict | None:
        """The thread started from a message (its id is the message id)."""
        channel = self.channels.get(message_id)
        return channel if channel and channel["type"] in THREAD_TYPES else None

    def file(self, attachment_id: int | str) -> Upload:
        return self._files[str(attachment_id)]

    # -- scripting ----------------------------------------------------------------------------

    def rate_limit(self, path: str, times: int = 1, retry_after: float = 0.01, *, method: str | None = None,
                   global_: bool = False) -> None:
        """The next `times` requests whose path matches the regex `path` (re.match: a prefix) get a 429."""
        self._rules.append({"kind": "429", "pattern": re.compile(path), "method": method, "times": times,
                            "retry_after": retry_after, "global": global_})

    def fail(self, path: str, status: int = 500, code: int = 0, message: str = "500: Internal Server Error",
             *, times: int = 1, method: str | None = None, errors: dict | None = None) -> None:
        """The next `times` requests whose path matches `path` get this error instead of an answer."""
        self._rules.append({"kind": "fail", "pattern": re.compile(path), "method": method, "times": times,
                            "error": DiscordError(status, code, message, errors)})

    async def reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes the socket and RESUMEs."""
        conn = self._session.conn if self._session else None
        if conn is not None:
            await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        conn = self._session.conn if self._session else None
        if conn is not None:
            if not resumable:
                self._session = None
            await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def wait_until_ready(self, timeout: float = 5.0) -> None:
        assert self.ready is not None
        await asyncio.wait_for(self.ready.wait(), timeout)

    # -- gateway ------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Conn(ws, request.query.get("compress"))
        self._conns.add(conn)
        self.connections += 1
        self.gateway_queries.append(dict(request.query))
        try:
            if request.query.get("encoding", "json") != "json":
                await conn.close(4002, "Error while decoding payload.")
                return ws
            await conn.send({"op": 10, "s": None, "t": None, "d": {
                "heartbeat_interval": int(self.heartbeat_interval * 1000),
                "_trace": ['["fake-discord-gateway",{"micros":0}]'],
            }})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        await conn.close(4002, "Error while decoding payload.")
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await conn.close(4002, "Error while decoding payload.")
                    break
                await self._on_gateway(conn, payload)
                if ws.closed:
                    break
        finally:
            self._conns.discard(conn)
            if self._session is not None and self._session.conn is conn:
                self._session.conn = None
        return ws

    async def _on_gateway(self, conn: _Conn, payload: dict) -> None:
        op, d = payload.get("op"), payload.get("d")
        if op == 1:
            self.heartbeats += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._on_identify(conn, d or {})
        elif op == 6:
            await self._on_resume(conn, d or {})
        elif not conn.identified:
            await conn.close(4003, "Not authenticated.")
        elif op == 3:
            self.presence_updates.append(d)
        elif op == 4:
            pass  # voice state update
        elif op == 8:
            await self._on_request_members(d or {})
        else:
            await conn.close(4001, "Unknown opcode.")

    async def _on_identify(self, conn: _Conn, d: dict) -> None:
        if conn.identified:
            await conn.close(4005, "Already authenticated.")
            return
        if self.token is not None and d.get("token") != self.token:
            await conn.close(4004, "Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await conn.close(4013, "Invalid intent(s).")
            return
        allowed = sum(PRIVILEGED[name] for name in self.privileged)
        if intents & sum(PRIVILEGED.values()) & ~allowed:
            await conn.close(4014, "Disallowed intent(s).")
            return
        self.identifies.append(d)
        conn.identified = True
        self._session = session = _Session(intents)
        session.conn = conn
        ready = {
            "v": API_VERSION, "user_settings": {}, "user": {
                **self.bot_user, "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US",
            },
            "session_type": "normal", "session_id": session.id, "resume_gateway_url": self.gateway_url,
            "relationships": [], "private_channels": [], "presences": [],
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}], "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east", "us-central"], "auth": {},
            "application": {"id": str(APP_ID), "flags": self._application_flags()},
            "_trace": ['["fake-discord-gateway",{"micros":0}]'],
        }
        if d.get("shard") is not None:
            ready["shard"] = d["shard"]
        await self._send_dispatch("READY", ready)
        await self._send_dispatch("GUILD_CREATE", self._guild_create())
        assert self.ready is not None
        self.ready.set()

    async def _on_resume(self, conn: _Conn, d: dict) -> None:
        self.resumes.append(d)
        session = self._session
        if session is None or d.get("session_id") != session.id or (self.token and d.get("token") != self.token):
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        conn.identified = True
        assert self._dispatch_lock is not None
        async with self._dispatch_lock:
            session.conn = conn
            last = d.get("seq") or 0
            for payload in session.buffer:
                if payload["s"] > last:
                    await conn.send(payload)
        await self._send_dispatch("RESUMED", {"_trace": ['["fake-discord-gateway",{"micros":0}]']})

    async def _on_request_members(self, d: dict) -> None:
        members = list(self.members.values())
        if d.get("user_ids"):
            wanted = {str(u) for u in (d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]])}
            members = [m for m in members if m["user"]["id"] in wanted]
        elif d.get("query"):
            members = [m for m in members if m["user"]["username"].startswith(d["query"])]
        chunk = {"guild_id": str(d.get("guild_id", GUILD_ID)), "members": members, "chunk_index": 0,
                 "chunk_count": 1, "not_found": []}
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        await self._send_dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _send_dispatch(self, event: str, data: dict) -> None:
        assert self._dispatch_lock is not None
        async with self._dispatch_lock:
            session = self._session
            if session is None:
                return
            session.seq += 1
            payload = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.buffer.append(payload)
            self.dispatched.append(payload)
            if session.conn is not None:
                await session.conn.send(payload)

    def _application_flags(self) -> int:
        return sum(_PRIVILEGED_APP_FLAGS[name] for name in self.privileged)

    def _required_intent(self, event: str, data: dict) -> int:
        in_guild = "guild_id" in data
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"):
            return GUILD_MESSAGES if in_guild else DIRECT_MESSAGES
        if event.startswith("MESSAGE_REACTION"):
            return GUILD_MESSAGE_REACTIONS if in_guild else DIRECT_MESSAGE_REACTIONS
        if event == "TYPING_START":
            return GUILD_MESSAGE_TYPING if in_guild else DIRECT_MESSAGE_TYPING
        if event.startswith(("GUILD_", "CHANNEL_", "THREAD_")) and event not in ("GUILD_MEMBERS_CHUNK",):
            if event.startswith("GUILD_MEMBER"):
                return GUILD_MEMBERS
            return GUILDS
        return 0

    def _without_content(self, data: dict) -> dict:
        """What an app without the MESSAGE_CONTENT intent receives for a message."""
        if "guild_id" not in data:
            return data  # DMs keep their content
        if (data.get("author") or {}).get("id") == str(BOT_ID):
            return data
        if any(u.get("id") == str(BOT_ID) for u in data.get("mentions") or []):
            return data
        data = dict(data)
        data.update(content="", embeds=[], attachments=[], components=[])
        data.pop("poll", None)
        return data

    async def dispatch(self, event: str, data: dict, *, raw: bool = False, timeout: float = 5.0) -> dict | None:
        """Send a gateway event to the connected bot, as Discord would.

        Records what Discord would record first (a MESSAGE_CREATE's message in `messages`, an
        INTERACTION_CREATE in `interactions`, starting its 3-second deadline, a THREAD_CREATE's
        thread in `channels`). Then, unless `raw`, applies the IDENTIFY intents: returns None (and
        sends nothing) when they exclude the event, and blanks the message content without
        MESSAGE_CONTENT. Returns the `d` sent. Waits (up to `timeout`) for the bot to be connected.
        """
        await self.wait_until_ready(timeout)
        data = copy.deepcopy(data)
        if event == "MESSAGE_CREATE":
            self._store_message(data)
        elif event == "INTERACTION_CREATE":
            self.interactions[data["id"]] = InteractionRecord(payload=data, created=asyncio.get_running_loop().time())
        elif event in ("THREAD_CREATE", "CHANNEL_CREATE"):
            self.channels[data["id"]] = {k: v for k, v in data.items() if k not in ("newly_created", "member")}
        return await self._emit(event, data, raw=raw)

    async def _emit(self, event: str, data: dict, *, raw: bool = False) -> dict | None:
        if not raw:
            session = self._session
            intents = session.intents if session else 0
            needed = self._required_intent(event, data)
            if needed and not intents & needed:
                return None
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & MESSAGE_CONTENT:
                data = self._without_content(data)
        await self._send_dispatch(event, data)
        return data

    def _emit_soon(self, event: str, data: dict) -> None:
        """Dispatch after the current REST answer (as Discord's echo of the bot's own actions)."""
        if not self.echo or self._session is None:
            return
        task = asyncio.get_running_loop().create_task(self._emit(event, copy.deepcopy(data)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- payload builders ---------------------------------------------------------------------

    def _user(self, user: int | str | dict) -> dict:
        if isinstance(user, dict):
            return user
        return self.users[user]

    def _member(self, user_id: int | str, *, with_user: bool = False, permissions: bool = False) -> dict:
        member = self.members.get(user_id)
        if member is None:
            member = {"user": self._user(user_id), "nick": None, "avatar": None, "roles": [],
                      "joined_at": _now_iso(), "premium_since": None, "deaf": False, "mute": False,
                      "flags": 0, "pending": False, "communication_disabled_until": None}
        member = copy.deepcopy(member)
        if not with_user:
            member.pop("user", None)
        if permissions:
            member["permissions"] = str(self._permissions_of(user_id))
        return member

    def _permissions_of(self, user_id: int | str) -> int:
        if str(user_id) == str(BOT_ID):
            perms = self.everyone_permissions | self.bot_permissions
        elif str(user_id) == str(ALICE_ID):
            perms = (1 << 41) - 1  # the owner
        else:
            perms = self.everyone_permissions
        return (1 << 41) - 1 if perms & ADMINISTRATOR else perms

    def _is_guild_channel(self, channel_id: int | str) -> bool:
        channel = self.channels.get(channel_id)
        return channel is None or channel["type"] != DM

    def _mentions(self, content: str, *, guild: bool) -> list[dict]:
        found = []
        for uid in dict.fromkeys(re.findall(r"<@!?(\d+)>", content or "")):
            if uid in self.users:
                user = copy.deepcopy(self.users[uid])
                if guild and uid in self.members:
                    user["member"] = self._member(uid)
                found.append(user)
        return found

    def _gateway_message(self, message: dict) -> dict:
        """A stored (REST-shaped) message as MESSAGE_CREATE / MESSAGE_UPDATE carries it."""
        data = copy.deepcopy(message)
        channel = self.channels.get(message["channel_id"])
        if channel is not None and channel["type"] != DM:
            data["guild_id"] = str(GUILD_ID)
            if not data.get("webhook_id"):
                data["member"] = self._member(message["author"]["id"])
            data["mentions"] = self._mentions(data.get("content", ""), guild=True) or data.get("mentions", [])
        if channel is not None:
            data["channel_type"] = channel["type"]
        return data

    def message(
        self,
        content: str = "",
        *,
        channel_id: int | str = CHANNEL_ID,
        author: int | str | dict = ALICE_ID,
        message_id: int | str | None = None,
        mentions: list | None = None,
        guild: bool | None = None,
        attachments: list[dict] = (),  # type: ignore[assignment]
        embeds: list[dict] = (),  # type: ignore[assignment]
        reference: int | str | dict | None = None,
        **extra: Any,
    ) -> dict:
        """A MESSAGE_CREATE `d` for a message someone posted (default: alice in #general).

        `mentions`: user ids / user dicts (default: the `<@id>` in `content`). `reference`: the
        message (dict or id) this one replies to. `guild`: default from the channel's type.
        """
        mid = str(message_id or snowflake())
        user = copy.deepcopy(self._user(author))
        in_guild = self._is_guild_channel(channel_id) if guild is None else guild
        if mentions is None:
            mention_list = self._mentions(content, guild=in_guild)
        else:
            mention_list = []
            for m in mentions:
                u = copy.deepcopy(self._user(m))
                if in_guild and u["id"] in self.members:
                    u["member"] = self._member(u["id"])
                mention_list.append(u)
        data: dict = {
            "type": 0, "tts": False, "timestamp": snowflake_iso(mid), "pinned": False, "nonce": str(snowflake()),
            "mentions": mention_list, "mention_roles": [], "mention_everyone": False, "id": mid,
            "flags": 0, "embeds": list(embeds), "edited_timestamp": None, "content": content,
            "components": [], "channel_id": str(channel_id), "author": user, "attachments": list(attachments),
        }
        channel = self.channels.get(channel_id)
        if channel is not None:
            data["channel_type"] = channel["type"]
        if in_guild:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = self._member(user["id"])
        if reference is not None:
            ref = reference if isinstance(reference, dict) else self.message_by_id(reference)
            if ref is None:
                raise LookupError(f"no message {reference} to reply to")
            data["type"] = 19
            data["message_reference"] = {"type": 0, "channel_id": ref["channel_id"], "message_id": ref["id"],
                                         **({"guild_id": str(GUILD_ID)} if in_guild else {})}
            data["referenced_message"] = {k: v for k, v in ref.items() if k not in ("member", "guild_id")}
        data.update(extra)
        return data

    def dm_message(self, content: str = "", *, author: int | str | dict = ALICE_ID, **kw: Any) -> dict:
        """A MESSAGE_CREATE `d` for a DM to the bot (no guild_id / member)."""
        channel_id = kw.pop("channel_id", None) or self._dm_channel(self._user(author)["id"])["id"]
        return self.message(content, channel_id=channel_id, author=author, guild=False, **kw)

    def bot_message(self, content: str = "", *, channel_id: int | str = CHANNEL_ID, **kw: Any) -> dict:
        """A MESSAGE_CREATE `d` for a message by the bot itself (e.g. an earlier reply)."""
        return self.message(content, channel_id=channel_id, author=BOT_ID, **kw)

    def attachment(self, filename: str, data: bytes, content_type: str = "application/octet-stream",
                   *, channel_id: int | str = CHANNEL_ID) -> dict:
        """An attachment object for a user message; its URL serves `data` (Attachment.read() works)."""
        aid = str(snowflake())
        self._files[aid] = Upload("files[0]", filename, content_type, data)
        url = f"{self.base_url}/attachments/{channel_id}/{aid}/{filename}"
        return {"id": aid, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                "content_type": content_type}

    def _dm_channel(self, user_id: str) -> dict:
        for channel in self.channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == str(user_id):
                return channel
        channel = {"id": str(snowflake()), "type": DM, "last_message_id": None, "flags": 0,
                   "recipients": [self._user(user_id)]}
        self.channels[channel["id"]] = channel
        return channel

    def _interaction(self, itype: int, data: dict | None, *, channel_id: int | str, user: int | str | dict,
                     message: dict | None = None) -> dict:
        iid = snowflake()
        token = "aW50ZXJhY3Rpb246" + base64.urlsafe_b64encode(f"{iid}:{secrets.token_hex(24)}".encode()).decode().rstrip("=")
        channel = self.channels.get(channel_id) or {"id": str(channel_id), "type": TEXT}
        u = copy.deepcopy(self._user(user))
        in_guild = channel["type"] != DM
        payload: dict = {
            "id": str(iid), "application_id": str(APP_ID), "type": itype, "token": token, "version": 1,
            "locale": "en-US", "app_permissions": str(self._permissions_of(BOT_ID) if in_guild else 0),
            "entitlements": [], "entitlement_sku_ids": [], "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel": copy.deepcopy(channel), "channel_id": channel["id"], "context": 0 if in_guild else 1,
        }
        if data is not None:
            payload["data"] = data
        if in_guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild"] = {"id": str(GUILD_ID), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = self._member(u["id"], with_user=True, permissions=True)
            payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
        else:
            payload["user"] = u
            payload["authorizing_integration_owners"] = {"0": "0"}
        if message is not None:
            payload["message"] = message
        return payload

    def _command(self, name: str, ctype: int, guild: bool) -> dict | None:
        for cmd in self.commands:
            if cmd["name"] == name and cmd.get("type", 1) == ctype and ("guild_id" in cmd) == guild:
                return cmd
        if guild:
            return self._command(name, ctype, False)
        return None

    def slash_command(
        self,
        name: str,
        options: dict[str, Any] | list[dict] | None = None,
        *,
        channel_id: int | str = CHANNEL_ID,
        user: int | str | dict = ALICE_ID,
    ) -> dict:
        """An INTERACTION_CREATE `d` for /name (type 2, data.type 1).

        `name` may hold subcommands ("recap ask"). `options`: {name: value} (types from the synced
        command, else from the Python value) or raw option dicts. A command synced to the guild
        gets data.guild_id, as Discord sends it (discord.py's CommandTree looks it up by that).
        """
        parts = name.split()
        in_guild = self._is_guild_channel(channel_id)
        cmd = self._command(parts[0], 1, in_guild)
        defs = (cmd or {}).get("options") or []
        for sub in parts[1:]:
            defs = next((o.get("options") or [] for o in defs if o.get("name") == sub), [])
        resolved: dict = {}
        opts = self._options(options, defs, resolved, in_guild)
        for depth, sub in reversed(list(enumerate(parts[1:], start=1))):
            opts = [{"type": 1 if depth == len(parts) - 1 else 2, "name": sub, "options": opts}]
        data: dict = {"id": (cmd or {}).get("id") or str(snowflake()), "name": parts[0], "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd is not None and "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return self._interaction(2, data, channel_id=channel_id, user=user)

    def _options(self, options: Any, defs: list[dict], resolved: dict, in_guild: bool) -> list[dict]:
        if not options:
            return []
        if isinstance(options, list):
            return copy.deepcopy(options)
        out = []
        for key, value in options.items():
            declared = next((o.get("type") for o in defs if o.get("name") == key), None)
            if declared is None:
                declared = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 10 if isinstance(value, float) else 3
            if declared in (6, 9):  # user / mentionable
                u = self._user(value)
                value = u["id"]
                resolved.setdefault("users", {})[value] = copy.deepcopy(u)
                if in_guild and value in self.members:
                    m = self._member(value, permissions=True)
                    resolved.setdefault("members", {})[value] = m
            elif declared == 7:  # channel
                ch = self.channels[value]
                value = ch["id"]
                resolved.setdefault("channels", {})[value] = {
                    k: ch[k] for k in ("id", "name", "type", "parent_id", "thread_metadata") if k in ch
                } | {"permissions": str(self._permissions_of(ALICE_ID))}
            elif declared == 4:
                value = int(value)
            elif declared == 10:
                value = float(value)
            elif declared == 3:
                value = str(value)
            out.append({"name": key, "type": declared, "value": value})
        return out

    def message_context_menu(self, name: str, target_message: int | str | dict, *, user: int | str | dict = ALICE_ID,
                             channel_id: int | str | None = None) -> dict:
        """An INTERACTION_CREATE `d` for a message command (type 2, data.type 3) on `target_message`."""
        target = self._latest(target_message)
        channel_id = channel_id or target["channel_id"]
        in_guild = self._is_guild_channel(channel_id)
        cmd = self._command(name, 3, in_guild)
        resolved_message = {k: v for k, v in target.items() if k not in ("member", "guild_id", "channel_type")}
        data: dict = {"id": (cmd or {}).get("id") or str(snowflake()), "name": name, "type": 3,
                      "target_id": target["id"], "resolved": {"messages": {target["id"]: resolved_message}}}
        if cmd is not None and "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return self._interaction(2, data, channel_id=channel_id, user=user)

    def _latest(self, message: int | str | dict) -> dict:
        mid = message["id"] if isinstance(message, dict) else str(message)
        stored = self.message_by_id(mid)
        if stored is not None:
            return copy.deepcopy(stored)
        if isinstance(message, dict):
            return copy.deepcopy(message)
        raise LookupError(f"the fake knows no message {mid}")

    @staticmethod
    def _walk_components(components: list[dict]) -> Iterator[dict]:
        for c in components or []:
            yield c
            yield from FakeDiscord._walk_components(c.get("components") or [])
            for key in ("component", "accessory"):
                if isinstance(c.get(key), dict):
                    yield from FakeDiscord._walk_components([c[key]])

    def component(self, custom_id: str, message: int | str | dict, *, values: list[str] | None = None,
                  component_type: int | None = None, user: int | str | dict = ALICE_ID, check: bool = True) -> dict:
        """An INTERACTION_CREATE `d` for a click on a button / select (type 3) of `message` (as the fake has it)."""
        msg = self._latest(message)
        found = next((c for c in self._walk_components(msg.get("components") or []) if c.get("custom_id") == custom_id), None)
        if found is None and check:
            ids = [c.get("custom_id") for c in self._walk_components(msg.get("components") or []) if c.get("custom_id")]
            raise LookupError(f"message {msg['id']} has no component {custom_id!r} (it has {ids})")
        ctype = component_type or (found or {}).get("type", 2)
        data: dict = {"custom_id": custom_id, "component_type": ctype}
        if ctype in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        if found is not None and found.get("id") is not None:
            data["id"] = found["id"]
        return self._interaction(3, data, channel_id=msg["channel_id"], user=user, message=msg)

    def modal_submit(self, custom_id: str | None = None, fields: dict[str, str] | None = None, *,
                     user: int | str | dict = ALICE_ID, channel_id: int | str | None = None) -> dict:
        """An INTERACTION_CREATE `d` submitting a modal (type 5) the bot opened (default: the last one).

        `fields`: {text input custom_id: value}; the components mirror the modal's layout (action
        rows or labels). Channel and (for a modal opened from a component) message follow the
        interaction that opened it.
        """
        fields = dict(fields or {})
        opened = next((m for m in reversed(self.modals) if custom_id is None or m["data"]["custom_id"] == custom_id), None)
        if opened is None:
            if custom_id is None:
                raise LookupError("the bot opened no modal")
            rows = [{"type": 1, "id": i + 1, "components": [{"type": 4, "id": i + 2, "custom_id": k, "value": v}]}
                    for i, (k, v) in enumerate(fields.items())]
            return self._interaction(5, {"custom_id": custom_id, "components": rows},
                                     channel_id=channel_id or CHANNEL_ID, user=user)
        ids = itertools.count(1)
        known: set[str] = set()

        def submitted(component: dict) -> dict:
            ctype = component.get("type")
            out: dict = {"type": ctype, "id": component.get("id") or next(ids)}
            if ctype == 1:
                out["components"] = [submitted(c) for c in component.get("components") or []]
            elif ctype == 18:
                out["component"] = submitted(component["component"])
            elif ctype == 4:
                known.add(component["custom_id"])
                out["custom_id"] = component["custom_id"]
                out["value"] = fields.get(component["custom_id"], component.get("value") or "")
            elif ctype in (3, 5, 6, 7, 8):
                known.add(component["custom_id"])
                out["custom_id"] = component["custom_id"]
                value = fields.get(component["custom_id"], [])
                out["values"] = [value] if isinstance(value, str) else list(value)
            return out

        components = [submitted(c) for c in opened["data"]["components"]]
        unknown = set(fields) - known
        if unknown:
            raise LookupError(f"modal {opened['data']['custom_id']!r} has no inputs {sorted(unknown)} (it has {sorted(known)})")
        source = opened["interaction"]
        message = source.get("message")
        if message is not None:
            message = self._latest(message)
        return self._interaction(5, {"custom_id": opened["data"]["custom_id"], "components": components},
                                 channel_id=channel_id or source["channel_id"], user=user, message=message)

    def _guild_create(self) -> dict:
        intents = self._session.intents if self._session else 0
        members = list(self.members.values()) if intents & GUILD_MEMBERS else [self.members[BOT_ID]]
        roles = [
            {"id": str(GUILD_ID), "name": "@everyone", "description": None, "permissions": str(self.everyone_permissions),
             "position": 0, "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
             "hoist": False, "managed": False, "mentionable": False, "icon": None, "unicode_emoji": None, "flags": 0},
            {"id": str(BOT_ROLE_ID), "name": BOT_NAME, "description": None, "permissions": str(self.bot_permissions),
             "position": 1, "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
             "hoist": False, "managed": True, "mentionable": False, "icon": None, "unicode_emoji": None, "flags": 0,
             "tags": {"bot_id": str(BOT_ID)}},
        ]
        channels = [{k: v for k, v in c.items() if k != "guild_id"}
                    for c in self.channels.values() if c["type"] not in THREAD_TYPES + (DM,)]
        threads = [copy.deepcopy(c) for c in self.threads if not c["thread_metadata"]["archived"]]
        return {
            "id": str(GUILD_ID), "name": GUILD_NAME, "icon": None, "description": None, "splash": None,
            "discovery_splash": None, "banner": None, "owner_id": str(ALICE_ID), "afk_channel_id": None,
            "afk_timeout": 300, "widget_enabled": False, "verification_level": 1, "default_message_notifications": 1,
            "explicit_content_filter": 2, "roles": roles, "emojis": [], "stickers": [], "features": [],
            "mfa_level": 0, "application_id": None, "system_channel_id": str(CHANNEL_ID), "system_channel_flags": 0,
            "rules_channel_id": None, "max_presences": None, "max_members": 500000, "vanity_url_code": None,
            "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
            "public_updates_channel_id": None, "max_video_channel_users": 25, "max_stage_video_channel_users": 50,
            "nsfw": False, "nsfw_level": 0, "premium_progress_bar_enabled": False, "safety_alerts_channel_id": None,
            "incidents_data": None, "hub_type": None, "latest_onboarding_question_id": None,
            "joined_at": "2024-01-15T10:00:00.000000+00:00", "large": False, "unavailable": False, "lazy": True,
            "member_count": len(self.members), "voice_states": [], "members": copy.deepcopy(members),
            "channels": copy.deepcopy(channels), "threads": threads, "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "embedded_activities": [],
            "activity_instances": [], "application_command_counts": {}, "version": int(time.time() * 1000),
        }

    def _thread_payload(self, thread_id: int | str, parent_id: int | str, name: str, owner_id: int | str, *,
                        ttype: int = PUBLIC_THREAD, auto_archive: int = 1440, joined: bool = True) -> dict:
        now = _now_iso()
        thread = {
            "id": str(thread_id), "type": ttype, "guild_id": str(GUILD_ID), "parent_id": str(parent_id),
            "owner_id": str(owner_id), "name": name, "last_message_id": None, "message_count": 0,
            "member_count": 1, "total_message_sent": 0, "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive, "archive_timestamp": now,
                                "locked": False, "create_timestamp": now},
        }
        if ttype == PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = True
        if joined:
            thread["member"] = {"id": str(thread_id), "user_id": str(BOT_ID), "join_timestamp": now, "flags": 1}
        return thread

    # -- state --------------------------------------------------------------------------------

    def _store_message(self, message: dict) -> dict:
        stored = {k: v for k, v in message.items() if k not in ("guild_id", "member", "channel_type")}
        stored["mentions"] = [{k: v for k, v in u.items() if k != "member"} for u in stored.get("mentions") or []]
        self.messages.setdefault(stored["channel_id"], []).append(stored)
        self._message_index[stored["id"]] = stored
        channel = self.channels.get(stored["channel_id"])
        if channel is not None:
            channel["last_message_id"] = stored["id"]
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
        return stored

    def _channel(self, channel_id: str) -> dict:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _not_found("Channel", 10003)
        return channel

    def _channel_message(self, channel_id: str, message_id: str) -> dict:
        self._channel(channel_id)
        message = self._message_index.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            raise _not_found("Message", 10008)
        return message

    def _require(self, channel: dict, *perms: int) -> None:
        if channel["type"] == DM:
            return
        have = self._permissions_of(BOT_ID)
        if not have & VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        for perm in perms:
            if not have & perm:
                raise DiscordError(403, 50013, "Missing Permissions")

    def _attachments(self, body: dict, files: list[Upload], channel_id: str, keep: list[dict] | None = None) -> list[dict]:
        """Attachment objects for a message from payload_json `attachments` and the uploaded files."""
        by_index = {}
        for upload in files:
            m = re.fullmatch(r"files\[(\d+)\]", upload.field)
            by_index[m.group(1) if m else upload.field] = upload
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for a in body.get("attachments") or []:  # existing ones to keep (edits)
            for old in keep or []:
                if str(a.get("id")) == old["id"]:
                    out.append(old)
        for index, upload in by_index.items():
            aid = str(snowflake())
            self._files[aid] = upload
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{upload.filename}"
            meta = described.get(index, {})
            att = {"id": aid, "filename": meta.get("filename") or upload.filename, "size": len(upload.data),
                   "url": url, "proxy_url": url, "content_type": upload.content_type}
            if meta.get("description"):
                att["description"] = meta["description"]
            out.append(att)
        return out

    def _new_message(self, channel: dict, body: dict, files: list[Upload], *, mtype: int | None = None,
                     webhook: bool = False, interaction: dict | None = None, message_id: str | None = None) -> dict:
        mid = message_id or str(snowflake())
        content = body.get("content") or ""
        embeds = [{"type": "rich", **e} for e in (body.get("embeds") or ([body["embed"]] if body.get("embed") else []))]
        msg: dict = {
            "type": 0 if mtype is None else mtype, "content": content,
            "mentions": self._mentions(content, guild=False), "mention_roles": [],
            "attachments": self._attachments(body, files, channel["id"]), "embeds": embeds,
            "timestamp": snowflake_iso(mid), "edited_timestamp": None, "flags": body.get("flags") or 0,
            "components": copy.deepcopy(body.get("components") or []), "id": mid, "channel_id": channel["id"],
            "author": copy.deepcopy(self.bot_user), "pinned": False, "mention_everyone": False,
            "tts": bool(body.get("tts")),
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and mtype is None:
            ref_channel = str(ref.get("channel_id") or channel["id"])
            target = self._message_index.get(str(ref["message_id"]))
            if target is None or target["channel_id"] != ref_channel:
                if ref.get("fail_if_not_exists", True):
                    errors = _FormErrors()
                    errors.add(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
                    errors.raise_if_any()
            else:
                msg["type"] = 19
                msg["message_reference"] = {"type": 0, "channel_id": ref_channel, "message_id": target["id"]}
                if channel["type"] != DM:
                    msg["message_reference"]["guild_id"] = str(GUILD_ID)
                msg["referenced_message"] = copy.deepcopy(target)
                msg["referenced_message"].pop("referenced_message", None)
        if webhook:
            msg["webhook_id"] = str(APP_ID)
            msg["application_id"] = str(APP_ID)
        if interaction is not None:
            user = (interaction.get("member") or {}).get("user") or interaction.get("user")
            data = interaction.get("data") or {}
            msg["interaction_metadata"] = {
                "id": interaction["id"], "type": interaction["type"], "user": user,
                "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
            }
            if interaction["type"] == 2:
                msg["interaction_metadata"]["name"] = data.get("name")
                msg["interaction"] = {"id": interaction["id"], "type": 2, "name": data.get("name"), "user": user}
            if interaction["type"] == 3 and interaction.get("message"):
                msg["interaction_metadata"]["interacted_message_id"] = interaction["message"]["id"]
        return msg

    def _edit(self, message: dict, body: dict, files: list[Upload]) -> None:
        if "content" in body:
            message["content"] = body["content"] or ""
            message["mentions"] = self._mentions(message["content"], guild=False)
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = copy.deepcopy(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            message["flags"] = (message["flags"] & ~4) | (body["flags"] & 4)
        if "attachments" in body or files:
            old = message.get("attachments") or []
            message["attachments"] = self._attachments(body, files, message["channel_id"], keep=old) if "attachments" in body \
                else old + self._attachments(body, files, message["channel_id"])
        message["edited_timestamp"] = _now_iso()

    # -- REST ---------------------------------------------------------------------------------

    def _build_routes(self) -> None:
        S = r"(\d+)"
        table = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", rf"/users/{S}", self._get_user),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", rf"/applications/{S}/commands", self._list_commands),
            ("PUT", rf"/applications/{S}/commands", self._put_commands),
            ("POST", rf"/applications/{S}/commands", self._post_command),
            ("GET", rf"/applications/{S}/commands/{S}", self._get_command),
            ("PATCH", rf"/applications/{S}/commands/{S}", self._patch_command),
            ("DELETE", rf"/applications/{S}/commands/{S}", self._delete_command),
            ("GET", rf"/applications/{S}/guilds/{S}/commands", self._list_commands),
            ("PUT", rf"/applications/{S}/guilds/{S}/commands", self._put_commands),
            ("POST", rf"/applications/{S}/guilds/{S}/commands", self._post_command),
            ("GET", rf"/applications/{S}/guilds/{S}/commands/{S}", self._get_command),
            ("PATCH", rf"/applications/{S}/guilds/{S}/commands/{S}", self._patch_command),
            ("DELETE", rf"/applications/{S}/guilds/{S}/commands/{S}", self._delete_command),
            ("GET", rf"/guilds/{S}", self._get_guild),
            ("GET", rf"/guilds/{S}/channels", self._get_guild_channels),
            ("GET", rf"/guilds/{S}/members/{S}", self._get_member),
            ("GET", rf"/channels/{S}", self._get_channel),
            ("PATCH", rf"/channels/{S}", self._patch_channel),
            ("GET", rf"/channels/{S}/messages", self._list_messages),
            ("POST", rf"/channels/{S}/messages", self._post_message),
            ("GET", rf"/channels/{S}/messages/{S}", self._get_message),
            ("PATCH", rf"/channels/{S}/messages/{S}", self._patch_message),
            ("DELETE", rf"/channels/{S}/messages/{S}", self._delete_message),
            ("POST", rf"/channels/{S}/messages/{S}/threads", self._thread_from_message),
            ("POST", rf"/channels/{S}/threads", self._thread_without_message),
            ("PUT", rf"/channels/{S}/messages/{S}/reactions/([^/]+)/@me", self._add_reaction),
            ("DELETE", rf"/channels/{S}/messages/{S}/reactions/([^/]+)/@me", self._remove_reaction),
            ("POST", rf"/channels/{S}/typing", self._typing),
            ("PUT", rf"/channels/{S}/thread-members/@me", self._join_thread),
            ("DELETE", rf"/channels/{S}/thread-members/@me", self._leave_thread),
            ("POST", rf"/interactions/{S}/([^/]+)/callback", self._interaction_callback),
            ("POST", rf"/webhooks/{S}/([^/]+)", self._webhook_execute),
            ("GET", rf"/webhooks/{S}/([^/]+)/messages/(@original|\d+)", self._webhook_get),
            ("PATCH", rf"/webhooks/{S}/([^/]+)/messages/(@original|\d+)", self._webhook_edit),
            ("DELETE", rf"/webhooks/{S}/([^/]+)/messages/(@original|\d+)", self._webhook_delete),
        ]
        self._routes = [(m, re.compile(p), h) for m, p, h in table]

    def _headers(self, key: str) -> dict[str, str]:
        reset = time.time() + 1.0
        return {
            "Content-Type": "application/json",
            "X-RateLimit-Bucket": hashlib.md5(key.encode()).hexdigest(),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "Via": "1.1 google",
        }

    def _answer(self, status: int, body: Any, key: str, extra: dict[str, str] | None = None) -> web.Response:
        headers = {**self._headers(key), **(extra or {})}
        if status == 204 or body is None:
            headers.pop("Content-Type")
            return web.Response(status=204, headers=headers)
        return web.Response(status=status, body=json.dumps(body, ensure_ascii=False).encode(), headers=headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Upload]]:
        files: list[Upload] = []
        if request.content_type == "multipart/form-data":
            body: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                data = bytes(await part.read(decode=False))  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(data)
                elif part.filename is not None:  # type: ignore[union-attr]
                    files.append(Upload(part.name or "", part.filename,  # type: ignore[union-attr]
                                        part.headers.get("Content-Type", "application/octet-stream"), data))
            return body, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        method = request.method
        record = Request(method, path, dict(request.query), dict(request.headers))
        key = method + " " + path
        try:
            try:
                record.json, record.files = await self._read_body(request)
            finally:
                self.requests.append(record)
            route = None
            allowed = False
            for m, pattern, handler in self._routes:
                match = pattern.fullmatch(path)
                if match:
                    allowed = True
                    if m == method:
                        route = (pattern, handler, match)
                        break
            if route is None:
                if allowed:
                    raise DiscordError(405, 0, "405: Method Not Allowed")
                raise DiscordError(404, 0, "404: Not Found")
            key = method + " " + route[0].pattern
            tokened = path.startswith(("/interactions/", "/webhooks/"))
            if not tokened:
                auth = request.headers.get("Authorization", "")
                if not auth.startswith("Bot ") or (self.token is not None and auth != f"Bot {self.token}"):
                    raise DiscordError(401, 0, "401: Unauthorized")
            for rule in self._rules:
                if rule["times"] > 0 and rule["pattern"].match(path) and rule["method"] in (None, method):
                    rule["times"] -= 1
                    if rule["kind"] == "fail":
                        raise rule["error"]
                    return self._rate_limited(record, key, rule)
            status, body = await route[1](request, record, *route[2].groups())
            record.status, record.response = status, body
            return self._answer(status, body, key)
        except DiscordError as exc:
            record.status, record.response = exc.status, exc.body()
            return self._answer(exc.status, exc.body(), key)
        finally:
            await self._notify()

    def _rate_limited(self, record: Request, key: str, rule: dict) -> web.Response:
        retry_after = rule["retry_after"]
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": rule["global"]}
        extra = {
            "Retry-After": str(max(1, int(retry_after + 0.999))),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Scope": "global" if rule["global"] else "user",
        }
        if rule["global"]:
            extra["X-RateLimit-Global"] = "true"
        record.status, record.response = 429, body
        return self._answer(429, body, key, extra)

    async def _download(self, request: web.Request) -> web.Response:
        upload = self._files.get(request.match_info["attachment"])
        if upload is None or upload.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=upload.data, headers={"Content-Type": upload.content_type})

    # users, gateway, application

    async def _get_me(self, request, record):
        return 200, {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US",
                     "bio": "", "premium_type": 0}

    async def _get_user(self, request, record, user_id):
        if user_id not in self.users:
            raise _not_found("User", 10013)
        return 200, self.users[user_id]

    async def _create_dm(self, request, record):
        recipient = str((record.json or {}).get("recipient_id"))
        if recipient not in self.users:
            raise _not_found("User", 10013)
        return 200, self._dm_channel(recipient)

    async def _get_gateway(self, request, record):
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, request, record):
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}}

    async def _get_application(self, request, record):
        return 200, {
            "id": str(APP_ID), "name": BOT_NAME, "icon": None, "description": "", "summary": "", "type": None,
            "hook": True, "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
            "flags": self._application_flags(), "owner": self.users[ALICE_ID], "team": None, "tags": [],
            "redirect_uris": [], "interactions_endpoint_url": None, "role_connections_verification_url": None,
            "approximate_guild_count": 1, "bot": self.bot_user,
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(self.bot_permissions)},
            "integration_types_config": {"0": {"oauth2_install_params": None}},
        }

    # application commands

    def _command_scope(self, app_id: str, guild_id: str | None) -> None:
        if app_id != str(APP_ID):
            raise _not_found("Application", 10002)
        if guild_id is not None and guild_id != str(GUILD_ID):
            raise DiscordError(403, 50001, "Missing Access")

    def _scoped(self, guild_id: str | None) -> list[dict]:
        return [c for c in self.commands if c.get("guild_id") == guild_id]

    def _make_command(self, body: dict, guild_id: str | None, index: int | None = None,
                      existing: dict | None = None) -> dict:
        errors = _FormErrors()
        prefix: tuple = () if index is None else (index,)
        ctype = body.get("type", 1)
        name = body.get("name") or ""
        if ctype == 1:
            if not _COMMAND_NAME.fullmatch(name) or name != name.lower():
                errors.add(prefix + ("name",), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            errors.length_between(prefix + ("description",), body.get("description") or "", 1, 100)
        else:
            errors.length_between(prefix + ("name",), name, 1, 32)
        errors.max_length(prefix + ("options",), body.get("options") or [], 25)
        errors.raise_if_any()
        cmd = {
            "id": (existing or {}).get("id") or str(snowflake()), "application_id": str(APP_ID),
            "version": str(snowflake()), "default_member_permissions": body.get("default_member_permissions"),
            "type": ctype, "name": name, "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "", "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True), "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0], "nsfw": bool(body.get("nsfw")),
        }
        if body.get("options"):
            cmd["options"] = copy.deepcopy(body["options"])
        if guild_id is not None:
            cmd["guild_id"] = guild_id
        return cmd

    async def _list_commands(self, request, record, app_id, guild_id=None):
        self._command_scope(app_id, guild_id)
        return 200, self._scoped(guild_id)

    async def _put_commands(self, request, record, app_id, guild_id=None):
        self._command_scope(app_id, guild_id)
        body = record.json or []
        old = {(c["name"], c["type"]): c for c in self._scoped(guild_id)}
        new = [self._make_command(b, guild_id, i, old.get((b.get("name"), b.get("type", 1)))) for i, b in enumerate(body)]
        names = [(c["name"], c["type"]) for c in new]
        if len(set(names)) != len(names):
            raise DiscordError(400, 50035, "Invalid Form Body", {"_errors": [
                {"code": "APPLICATION_COMMANDS_DUPLICATE_NAME", "message": "Application command names must be unique"}]})
        self.commands = [c for c in self.commands if c.get("guild_id") != guild_id] + new
        return 200, new

    async def _post_command(self, request, record, app_id, guild_id=None):
        self._command_scope(app_id, guild_id)
        body = record.json or {}
        existing = next((c for c in self._scoped(guild_id)
                         if c["name"] == body.get("name") and c["type"] == body.get("type", 1)), None)
        cmd = self._make_command(body, guild_id, existing=existing)
        if existing is not None:
            self.commands[self.commands.index(existing)] = cmd
            return 200, cmd
        self.commands.append(cmd)
        return 201, cmd

    def _find_command(self, guild_id: str | None, command_id: str) -> dict:
        cmd = next((c for c in self._scoped(guild_id) if c["id"] == command_id), None)
        if cmd is None:
            raise _not_found("application command", 10063)
        return cmd

    async def _get_command(self, request, record, app_id, *ids):
        guild_id, command_id = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        self._command_scope(app_id, guild_id)
        return 200, self._find_command(guild_id, command_id)

    async def _patch_command(self, request, record, app_id, *ids):
        guild_id, command_id = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        self._command_scope(app_id, guild_id)
        cmd = self._find_command(guild_id, command_id)
        updated = self._make_command({**cmd, **(record.json or {})}, guild_id, existing=cmd)
        self.commands[self.commands.index(cmd)] = updated
        return 200, updated

    async def _delete_command(self, request, record, app_id, *ids):
        guild_id, command_id = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        self._command_scope(app_id, guild_id)
        self.commands.remove(self._find_command(guild_id, command_id))
        return 204, None

    # guilds and channels

    async def _get_guild(self, request, record, guild_id):
        if guild_id != str(GUILD_ID):
            raise _not_found("Guild", 10004)
        data = self._guild_create()
        for key in ("joined_at", "large", "unavailable", "lazy", "member_count", "voice_states", "members", "channels",
                    "threads", "presences", "stage_instances", "guild_scheduled_events", "soundboard_sounds",
                    "embedded_activities", "activity_instances", "application_command_counts", "version"):
            data.pop(key, None)
        return 200, data

    async def _get_guild_channels(self, request, record, guild_id):
        if guild_id != str(GUILD_ID):
            raise _not_found("Guild", 10004)
        return 200, [c for c in self.channels.values() if c["type"] not in THREAD_TYPES + (DM,)]

    async def _get_member(self, request, record, guild_id, user_id):
        if guild_id != str(GUILD_ID):
            raise _not_found("Guild", 10004)
        if user_id not in self.members:
            raise _not_found("Member", 10007)
        return 200, self._member(user_id, with_user=True)

    async def _get_channel(self, request, record, channel_id):
        return 200, self._channel(channel_id)

    async def _patch_channel(self, request, record, channel_id):
        channel = self._channel(channel_id)
        body = record.json or {}
        errors = _FormErrors()
        if "name" in body:
            errors.length_between(("name",), body["name"] or "", 1, 100)
        errors.raise_if_any()
        if channel["type"] in THREAD_TYPES:
            if channel["owner_id"] != str(BOT_ID):
                self._require(channel, MANAGE_THREADS)
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = _now_iso()
        for key in ("name", "topic", "rate_limit_per_user", "nsfw"):
            if key in body:
                channel[key] = body[key]
        event = "THREAD_UPDATE" if channel["type"] in THREAD_TYPES else "CHANNEL_UPDATE"
        self._emit_soon(event, channel)
        return 200, channel

    # messages

    async def _list_messages(self, request, record, channel_id):
        channel = self._channel(channel_id)
        self._require(channel, READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(record.query.get("limit", 50))))
        items = list(self.messages[channel_id])
        if "before" in record.query:
            items = [m for m in items if int(m["id"]) < int(record.query["before"])]
        if "after" in record.query:
            items = [m for m in items if int(m["id"]) > int(record.query["after"])][:limit]
        return 200, list(reversed(items[-limit:]))

    async def _get_message(self, request, record, channel_id, message_id):
        self._require(self._channel(channel_id), READ_MESSAGE_HISTORY)
        return 200, self._channel_message(channel_id, message_id)

    async def _post_message(self, request, record, channel_id):
        channel = self._channel(channel_id)
        if channel["type"] == FORUM:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        is_thread = channel["type"] in THREAD_TYPES
        self._require(channel, SEND_MESSAGES_IN_THREADS if is_thread else SEND_MESSAGES)
        body = record.json or {}
        if record.files:
            self._require(channel, ATTACH_FILES)
        _message_errors(body, files=record.files)
        if is_thread and channel["thread_metadata"]["archived"]:
            if channel["thread_metadata"]["locked"]:
                raise DiscordError(400, 50083, "Thread is archived")
            channel["thread_metadata"]["archived"] = False
        msg = self._new_message(channel, body, record.files)
        self._store_message(msg)
        self._emit_soon("MESSAGE_CREATE", self._gateway_message(msg))
        return 200, msg

    async def _patch_message(self, request, record, channel_id, message_id):
        message = self._channel_message(channel_id, message_id)
        if message["author"]["id"] != str(BOT_ID) or message.get("webhook_id"):
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = record.json or {}
        _message_errors(body, files=record.files, edit=True)
        self._edit(message, body, record.files)
        self._emit_soon("MESSAGE_UPDATE", self._gateway_message(message))
        return 200, message

    async def _delete_message(self, request, record, channel_id, message_id):
        message = self._channel_message(channel_id, message_id)
        if message["author"]["id"] != str(BOT_ID):
            self._require(self._channel(channel_id), MANAGE_MESSAGES)
        self._forget(message)
        data = {"id": message_id, "channel_id": channel_id}
        if self._is_guild_channel(channel_id):
            data["guild_id"] = str(GUILD_ID)
        self._emit_soon("MESSAGE_DELETE", data)
        return 204, None

    def _forget(self, message: dict) -> None:
        self._message_index.pop(message["id"], None)
        with contextlib.suppress(ValueError):
            self.messages[message["channel_id"]].remove(message)
        with contextlib.suppress(ValueError):
            self.ephemeral.remove(message)

    async def _add_reaction(self, request, record, channel_id, message_id, emoji):
        message = self._channel_message(channel_id, message_id)
        self._require(self._channel(channel_id), ADD_REACTIONS, READ_MESSAGE_HISTORY)
        name, _, eid = emoji.partition(":")
        reactions = message.setdefault("reactions", [])
        existing = next((r for r in reactions if r["emoji"]["name"] == name), None)
        if existing is None:
            reactions.append({"count": 1, "me": True, "emoji": {"id": eid or None, "name": name}})
        elif not existing["me"]:
            existing["count"] += 1
            existing["me"] = True
        return 204, None

    async def _remove_reaction(self, request, record, channel_id, message_id, emoji):
        message = self._channel_message(channel_id, message_id)
        name = emoji.partition(":")[0]
        for r in list(message.get("reactions") or []):
            if r["emoji"]["name"] == name and r["me"]:
                r["me"] = False
                r["count"] -= 1
                if not r["count"]:
                    message["reactions"].remove(r)
        return 204, None

    async def _typing(self, request, record, channel_id):
        channel = self._channel(channel_id)
        self._require(channel, SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else SEND_MESSAGES)
        return 204, None

    # threads

    def _thread_body_errors(self, body: dict) -> None:
        errors = _FormErrors()
        errors.length_between(("name",), body.get("name") or "", 1, 100)
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in (60, 1440, 4320, 10080):
            errors.add(("auto_archive_duration",), "BASE_TYPE_CHOICES",
                       "Value must be one of {60, 1440, 4320, 10080}.")
        errors.raise_if_any()

    async def _thread_from_message(self, request, record, channel_id, message_id):
        channel = self._channel(channel_id)
        if channel["type"] not in (TEXT, NEWS):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        message = self._channel_message(channel_id, message_id)
        self._require(channel, CREATE_PUBLIC_THREADS, READ_MESSAGE_HISTORY)
        if message_id in self.channels:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body = record.json or {}
        self._thread_body_errors(body)
        thread = self._thread_payload(message_id, channel_id, body["name"], BOT_ID,
                                      ttype=NEWS_THREAD if channel["type"] == NEWS else PUBLIC_THREAD,
                                      auto_archive=body.get("auto_archive_duration") or 1440)
        thread["rate_limit_per_user"] = body.get("rate_limit_per_user") or 0
        self.channels[message_id] = thread
        message["thread"] = {k: v for k, v in thread.items() if k != "member"}
        message["flags"] |= 1 << 5  # HAS_THREAD
        self._emit_soon("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _thread_without_message(self, request, record, channel_id):
        channel = self._channel(channel_id)
        body = record.json or {}
        if channel["type"] == FORUM:
            self._require(channel, SEND_MESSAGES)
            self._thread_body_errors(body)
            starter = body.get("message") or {}
            _message_errors(starter, files=record.files, prefix=("message",))
            thread_id = str(snowflake())
            thread = self._thread_payload(thread_id, channel_id, body["name"], BOT_ID,
                                          auto_archive=body.get("auto_archive_duration") or 1440)
            thread["applied_tags"] = body.get("applied_tags") or []
            self.channels[thread_id] = thread
            msg = self._new_message(thread, starter, record.files, message_id=thread_id)
            msg.pop("message_reference", None)
            self._store_message(msg)
            channel["last_message_id"] = thread_id
            self._emit_soon("THREAD_CREATE", {**thread, "newly_created": True})
            self._emit_soon("MESSAGE_CREATE", self._gateway_message(msg))
            return 201, {**thread, "message": msg}
        if channel["type"] not in (TEXT, NEWS):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        ttype = body.get("type") or PRIVATE_THREAD  # Discord's default in v10
        self._require(channel, CREATE_PRIVATE_THREADS if ttype == PRIVATE_THREAD else CREATE_PUBLIC_THREADS)
        self._thread_body_errors(body)
        thread_id = str(snowflake())
        thread = self._thread_payload(thread_id, channel_id, body["name"], BOT_ID, ttype=ttype,
                                      auto_archive=body.get("auto_archive_duration") or 1440)
        if ttype == PRIVATE_THREAD and "invitable" in body:
            thread["thread_metadata"]["invitable"] = bool(body["invitable"])
        self.channels[thread_id] = thread
        self._emit_soon("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _join_thread(self, request, record, channel_id):
        thread = self._channel(channel_id)
        if thread["type"] not in THREAD_TYPES:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if "member" not in thread:
            thread["member"] = {"id": channel_id, "user_id": str(BOT_ID), "join_timestamp": _now_iso(), "flags": 1}
            thread["member_count"] += 1
        return 204, None

    async def _leave_thread(self, request, record, channel_id):
        thread = self._channel(channel_id)
        if thread.pop("member", None) is not None:
            thread["member_count"] -= 1
        return 204, None

    # interactions

    def _interaction_by(self, interaction_id: str, token: str) -> InteractionRecord:
        rec = self.interactions.get(interaction_id)
        if rec is None or rec.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return rec

    def _interaction_from_webhook(self, app_id: str, token: str) -> InteractionRecord:
        rec = next((r for r in self.interactions.values() if r.token == token), None)
        if app_id != str(APP_ID) or rec is None or rec.response_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        return rec

    def _interaction_channel(self, rec: InteractionRecord) -> dict:
        channel = self.channels.get(rec.payload["channel_id"])
        if channel is None:
            channel = {**rec.payload["channel"]}
        return channel

    def _response_message_type(self, rec: InteractionRecord) -> int:
        if rec.payload["type"] == 2:
            return 23 if (rec.payload.get("data") or {}).get("type", 1) in (2, 3) else 20
        return 0

    def _keep(self, msg: dict) -> None:
        if msg["flags"] & 64:
            self.ephemeral.append(msg)
            self._message_index[msg["id"]] = msg
        else:
            self._store_message(msg)
            self._emit_soon("MESSAGE_CREATE", self._gateway_message(msg))

    async def _interaction_callback(self, request, record, interaction_id, token):
        rec = self._interaction_by(interaction_id, token)
        if asyncio.get_running_loop().time() - rec.created > self.interaction_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        if rec.response_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        body = record.json or {}
        rtype = body.get("type")
        itype = rec.payload["type"]
        allowed = {2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9, 12}, 4: {8}, 5: {4, 5, 6, 7} if rec.payload.get("message") else {4, 5}}
        if rtype not in allowed.get(itype, set()):
            raise DiscordError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
                {"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": "Interaction response type is invalid"}]}})
        data = body.get("data") or {}
        channel = self._interaction_channel(rec)
        resource: dict | None = None
        ephemeral = False
        if rtype == 4:
            _message_errors(data, files=record.files, prefix=("data",))
            msg = self._new_message(channel, data, record.files, mtype=self._response_message_type(rec), webhook=True,
                                    interaction=rec.payload)
            self._keep(msg)
            rec.original_id = msg["id"]
            ephemeral = bool(msg["flags"] & 64)
            resource = {"type": 4, "message": msg}
        elif rtype == 5:
            flags = 128 | ((data.get("flags") or 0) & 64)
            msg = self._new_message(channel, {"flags": flags}, [], mtype=self._response_message_type(rec), webhook=True,
                                    interaction=rec.payload)
            self._keep(msg)
            rec.original_id, rec.loading = msg["id"], True
            ephemeral = bool(flags & 64)
            resource = {"type": 5, "message": msg}
        elif rtype == 6:
            rec.original_id = rec.payload["message"]["id"]
        elif rtype == 7:
            _message_errors(data, files=record.files, prefix=("data",), edit=True)
            target = self._message_index.get(rec.payload["message"]["id"])
            if target is None:
                raise _not_found("Message", 10008)
            self._edit(target, data, record.files)
            rec.original_id = target["id"]
            if not target["flags"] & 64:
                self._emit_soon("MESSAGE_UPDATE", self._gateway_message(target))
            resource = {"type": 7, "message": target}
        elif rtype == 9:
            _modal_errors(data)
            self.modals.append({"data": copy.deepcopy(data), "interaction": rec.payload})
        rec.response_type, rec.response = rtype, body
        if record.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        answer: dict = {"interaction": {"id": rec.id, "type": itype}}
        if rec.original_id is not None and rtype in (4, 5, 7):
            answer["interaction"].update(response_message_id=rec.original_id, response_message_loading=rtype == 5,
                                         response_message_ephemeral=ephemeral)
        if resource is not None:
            answer["resource"] = resource
        elif rtype in (6, 8, 9):
            answer["resource"] = {"type": rtype}
        return 200, answer

    def _webhook_message(self, rec: InteractionRecord, message_ref: str) -> dict:
        mid = rec.original_id if message_ref == "@original" else message_ref
        if mid is None or (message_ref != "@original" and mid not in rec.followup_ids and mid != rec.original_id):
            raise _not_found("Message", 10008)
        message = self._message_index.get(mid)
        if message is None:
            raise _not_found("Message", 10008)
        return message

    async def _webhook_execute(self, request, record, app_id, token):
        rec = self._interaction_from_webhook(app_id, token)
        body = record.json or {}
        _message_errors(body, files=record.files)
        channel = self._interaction_channel(rec)
        if rec.loading and rec.response_type == 5 and rec.original_id:
            # the first followup after a deferred response replaces the "thinking" message
            msg = self._message_index[rec.original_id]
            self._edit(msg, body, record.files)
            msg["flags"] = (msg["flags"] & 64) | ((body.get("flags") or 0) & 4)
            msg["edited_timestamp"] = None
            rec.loading = False
            if not msg["flags"] & 64:
                self._emit_soon("MESSAGE_UPDATE", self._gateway_message(msg))
        else:
            msg = self._new_message(channel, body, record.files, webhook=True, interaction=rec.payload,
                                    mtype=0 if not body.get("message_reference") else None)
            self._keep(msg)
        rec.followup_ids.append(msg["id"])
        if record.query.get("wait") not in ("1", "true", "True"):
            return 204, None
        return 200, msg

    async def _webhook_get(self, request, record, app_id, token, message_ref):
        rec = self._interaction_from_webhook(app_id, token)
        return 200, self._webhook_message(rec, message_ref)

    async def _webhook_edit(self, request, record, app_id, token, message_ref):
        rec = self._interaction_from_webhook(app_id, token)
        message = self._webhook_message(rec, message_ref)
        body = record.json or {}
        _message_errors(body, files=record.files, edit=True)
        self._edit(message, body, record.files)
        if message["id"] == rec.original_id and rec.loading:
            message["flags"] &= ~128
            rec.loading = False
        if not message["flags"] & 64:
            self._emit_soon("MESSAGE_UPDATE", self._gateway_message(message))
        return 200, message

    async def _webhook_delete(self, request, record, app_id, token, message_ref):
        rec = self._interaction_from_webhook(app_id, token)
        message = self._webhook_message(rec, message_ref)
        self._forget(message)
        return 204, None


# -- pointing discord.py at the fake -----------------------------------------------------------


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
async def running(client: Any, fake: FakeDiscord | None = None, *, token: str | None = None,
                  timeout: float = 10.0, until: str = "ready") -> Any:
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
