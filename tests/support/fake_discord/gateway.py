"""The gateway websocket, as far as discord.py can tell like Discord's.

HELLO (heartbeat_interval from `heartbeat_interval`, seconds), heartbeat ACKs, IDENTIFY -> READY
(guild unavailable) then GUILD_CREATE (roles, members, channels, threads); zlib-stream compressed
binary frames when the URL asks for `compress=zlib-stream` (plain text frames otherwise); RESUME
replays the missed events then RESUMED (an unknown session gets INVALID_SESSION);
REQUEST_GUILD_MEMBERS -> one GUILD_MEMBERS_CHUNK. Close codes: bad token 4004, a privileged intent
not enabled for the app (`privileged=`, default only message_content) 4014, IDENTIFY twice 4005, a
payload before IDENTIFY 4003, unknown opcode 4001, bad JSON 4002. Events honour the IDENTIFY
intents: no GUILD_MESSAGES -> no guild MESSAGE_CREATE; no MESSAGE_CONTENT -> content / embeds /
attachments / components come empty unless the bot is mentioned, wrote it, or it is a DM. The
bot's own posts, edits and thread creations come back as MESSAGE_CREATE / MESSAGE_UPDATE /
THREAD_CREATE, as on Discord (`echo=False` turns that off). `reconnect()` sends op 7,
`invalidate_session()` op 9.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import zlib

from aiohttp import WSMsgType, web

from .constants import (
    API_VERSION,
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGE_TYPING,
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGE_TYPING,
    GUILD_MESSAGES,
    GUILDS,
    MESSAGE_CONTENT,
    PRIVILEGED,
    application_flags,
)
from .guild import APP_ID, BOT_ID, GUILD_ID
from .records import InteractionRecord

TRACE = '["fake-discord-gateway",{"micros":0}]'  # the `_trace` Discord puts in HELLO, READY, RESUMED


class Connection:
    """One websocket, compressed as its URL asked (discord.py asks for zlib-stream, or zstd-stream)."""

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


class Session:
    """A gateway session: what RESUME continues, with the dispatches sent so far to replay."""

    def __init__(self, intents: int) -> None:
        self.id = secrets.token_hex(16)
        self.seq = 0
        self.intents = intents
        self.buffer: list[dict] = []
        self.conn: Connection | None = None


def required_intent(event: str, data: dict) -> int:
    """The intent a bot must have IDENTIFYed with to get `event` (0: none)."""
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


def without_content(data: dict) -> dict:
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


class Gateway:
    """The websocket side of FakeDiscord (mixed into it): sessions, IDENTIFY / RESUME, dispatches."""

    # -- scripting the connection -------------------------------------------------------------

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
        """Wait until READY and GUILD_CREATE went out to the bot."""
        assert self.ready is not None
        await asyncio.wait_for(self.ready.wait(), timeout)

    # -- the websocket ------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request.query.get("compress"))
        self._conns.add(conn)
        self.connections += 1
        self.gateway_queries.append(dict(request.query))
        try:
            if request.query.get("encoding", "json") != "json":
                await conn.close(4002, "Error while decoding payload.")
                return ws
            await conn.send(
                {
                    "op": 10,
                    "s": None,
                    "t": None,
                    "d": {
                        "heartbeat_interval": int(self.heartbeat_interval * 1000),
                        "_trace": [TRACE],
                    },
                }
            )
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

    async def _on_gateway(self, conn: Connection, payload: dict) -> None:
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

    async def _on_identify(self, conn: Connection, d: dict) -> None:
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
        self._session = session = Session(intents)
        session.conn = conn
        ready = {
            "v": API_VERSION,
            "user_settings": {},
            "user": {
                **self.bot_user,
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "locale": "en-US",
            },
            "session_type": "normal",
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east", "us-central"],
            "auth": {},
            "application": {"id": str(APP_ID), "flags": application_flags(self.privileged)},
            "_trace": [TRACE],
        }
        if d.get("shard") is not None:
            ready["shard"] = d["shard"]
        await self._send_dispatch("READY", ready)
        await self._send_dispatch("GUILD_CREATE", self._guild_create())
        assert self.ready is not None
        self.ready.set()

    async def _on_resume(self, conn: Connection, d: dict) -> None:
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
        await self._send_dispatch("RESUMED", {"_trace": [TRACE]})

    async def _on_request_members(self, d: dict) -> None:
        members = list(self.members.values())
        if d.get("user_ids"):
            wanted = {str(u) for u in (d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]])}
            members = [m for m in members if m["user"]["id"] in wanted]
        elif d.get("query"):
            members = [m for m in members if m["user"]["username"].startswith(d["query"])]
        chunk = {
            "guild_id": str(d.get("guild_id", GUILD_ID)),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
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

    # -- events -------------------------------------------------------------------------------

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
            needed = required_intent(event, data)
            if needed and not intents & needed:
                return None
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & MESSAGE_CONTENT:
                data = without_content(data)
        await self._send_dispatch(event, data)
        return data

    def _emit_soon(self, event: str, data: dict) -> None:
        """Dispatch after the current REST answer (as Discord's echo of the bot's own actions)."""
        if not self.echo or self._session is None:
            return
        task = asyncio.get_running_loop().create_task(self._emit(event, copy.deepcopy(data)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
