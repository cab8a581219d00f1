"""FakeDiscord: the aiohttp server tying gateway and REST together, with its recording and state.

Scripting: `rate_limit(path_regex, times, retry_after)` -> 429 as Discord sends it (Retry-After,
X-RateLimit-*, `Via`, JSON body; discord.py treats a 429 without `Via` as a Cloudflare ban);
`fail(path_regex, status, code, message)` -> any other error.

Recording: every REST request is a `Request` in `fake.requests` (method, path below /api/v10,
query, headers, json (for multipart: payload_json), files (bytes), status, response).
`requests_to(method, path_regex)` / `await wait_for(method, path_regex, count)` (fullmatch on the
path). State: `messages[channel_id]` (ids may be int or str), `channels`, `threads`, `commands`,
`interactions[id]`, `modals`, `ephemeral`, `identify`, `intents`, `heartbeats`, `dispatched`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from aiohttp import web

from .application import ApplicationRoutes
from .channels import ChannelRoutes
from .constants import (
    API_VERSION,
    BOT_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    INTERACTION_DEADLINE,
    THREAD_TYPES,
)
from .gateway import Connection, Gateway, Session
from .guild import (
    BOT_ID,
    BOT_NAME,
    BOT_TOKEN,
    Guild,
    initial_channels,
    initial_members,
    initial_users,
    user_payload,
)
from .interactions import InteractionRoutes
from .limits import DiscordError
from .messages import Messages
from .payloads import Payloads
from .records import IdMap, Request, Upload
from .rest import Rest, Route


class FakeDiscord(Gateway, Rest, ApplicationRoutes, ChannelRoutes, Messages, InteractionRoutes, Payloads, Guild):
    """An aiohttp server on 127.0.0.1 that speaks Discord's REST API and gateway; see the package doc.

    Each base is one part of Discord, in its own module; they all work on the state set up here.
    """

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
        self.users = initial_users(self.bot_user)
        self.members = initial_members(self.users)  # guild members by user id
        self.channels = initial_channels(self.users)
        self.messages: IdMap = IdMap(missing=list)  # channel id -> [message], oldest first
        self._message_index: dict[str, dict] = {}
        self._files: dict[str, Upload] = {}  # attachment id -> bytes

        self._routes: list[Route] = []
        self._rules: list[dict] = []  # rate_limit / fail scripting
        self._session: Session | None = None
        self._conns: set[Connection] = set()
        self._tasks: set[asyncio.Task] = set()
        self._cond: asyncio.Condition | None = None
        self.ready: asyncio.Event | None = None  # set once READY + GUILD_CREATE went out
        self._runner: web.AppRunner | None = None
        self._dispatch_lock: asyncio.Lock | None = None

    # -- life cycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
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
            r
            for r in self.requests
            if (method in (None, "*") or r.method == method.upper())
            and pattern.fullmatch(r.path)
            and (ok is None or r.ok == ok)
        ]

    async def wait_for(
        self, method: str | None, path: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = None
    ) -> list[Request]:
        """Wait until at least `count` matching requests were answered; returns them all."""
        assert self._cond is not None
        try:
            async with self._cond:
                await asyncio.wait_for(
                    self._cond.wait_for(lambda: len(self.requests_to(method, path, ok=ok)) >= count), timeout
                )
        except TimeoutError:
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
            m
            for m in self._message_index.values()
            if (m.get("message_reference") or {}).get("message_id") == str(message_id)
        ]

    def thread_for(self, message_id: int | str) -> dict | None:
        """The thread started from a message (its id is the message id)."""
        channel = self.channels.get(message_id)
        return channel if channel and channel["type"] in THREAD_TYPES else None

    def file(self, attachment_id: int | str) -> Upload:
        return self._files[str(attachment_id)]

    # -- scripting ----------------------------------------------------------------------------

    def rate_limit(
        self, path: str, times: int = 1, retry_after: float = 0.01, *, method: str | None = None, global_: bool = False
    ) -> None:
        """The next `times` requests whose path matches the regex `path` (re.match: a prefix) get a 429."""
        self._rules.append(
            {
                "kind": "429",
                "pattern": re.compile(path),
                "method": method,
                "times": times,
                "retry_after": retry_after,
                "global": global_,
            }
        )

    def fail(
        self,
        path: str,
        status: int = 500,
        code: int = 0,
        message: str = "500: Internal Server Error",
        *,
        times: int = 1,
        method: str | None = None,
        errors: dict | None = None,
    ) -> None:
        """The next `times` requests whose path matches `path` get this error instead of an answer."""
        self._rules.append(
            {
                "kind": "fail",
                "pattern": re.compile(path),
                "method": method,
                "times": times,
                "error": DiscordError(status, code, message, errors),
            }
        )
