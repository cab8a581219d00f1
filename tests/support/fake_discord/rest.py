"""The REST API's plumbing: the route table, auth, scripted failures, answers and downloads.

Answers are `Content-Type: application/json` exactly, with X-RateLimit-* headers. Routes:
users/@me, gateway(/bot), (oauth2/)applications/@me, application commands (global and guild: GET,
PUT bulk overwrite keeping ids by name, POST, PATCH, DELETE), channels (GET, PATCH), messages
(list, GET, POST JSON or multipart with files, PATCH, DELETE), threads (from a message: the thread
id is the message id, one per message; without a message; in a forum with its starter message),
thread-members/@me, reactions/@me, typing, users/@me/channels (DM), guilds (GET, channels,
member), interaction callbacks and webhooks. Uploaded files are kept and served back at the
attachment URL. Unknown routes -> 404 `{"message": "404: Not Found", "code": 0}`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .constants import DM, VIEW_CHANNEL
from .guild import BOT_ID
from .limits import DiscordError, not_found
from .records import Request, Upload

Route = tuple[str, "re.Pattern[str]", Callable[..., Any]]


class Rest:
    """The HTTP side of FakeDiscord (mixed into it); the route handlers live in the route modules."""

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
                    files.append(
                        Upload(
                            part.name or "",
                            part.filename,  # type: ignore[union-attr]
                            part.headers.get("Content-Type", "application/octet-stream"),
                            data,
                        )
                    )
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

    # lookups every route shares

    def _channel(self, channel_id: str) -> dict:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise not_found("Channel", 10003)
        return channel

    def _channel_message(self, channel_id: str, message_id: str) -> dict:
        self._channel(channel_id)
        message = self._message_index.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            raise not_found("Message", 10008)
        return message

    def _require(self, channel: dict, *perms: int) -> None:
        """403 unless the bot has `perms` in `channel` (a DM needs none)."""
        if channel["type"] == DM:
            return
        have = self._permissions_of(BOT_ID)
        if not have & VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        for perm in perms:
            if not have & perm:
                raise DiscordError(403, 50013, "Missing Permissions")
