"""A fake Slack Web API plus signed-request builders, so tests run the real slack_sdk / slack_bolt.

    with FakeSlack() as fake:                                    # 127.0.0.1, ephemeral port
        client = WebClient(token=fake.token, base_url=fake.api_url)   # api_url ends with /api/
        app = App(client=client, signing_secret=SECRET)          # bolt calls auth.test at start-up
        ...
        body, ctype = app_mention("<@U0FAKEBOT> https://youtu.be/x", channel="C0FAKECHAN")
        resp = app.dispatch(bolt_request((body, ctype), SECRET))          # or post_signed(url, ...)
        call = fake.wait_for("chat.postMessage")[0]              # background work posted
        call.params["thread_ts"], call.response["ts"], fake.thread("C0FAKECHAN", ts)

What the fake does, like the real API (as far as slack_sdk and bolt can tell):

* `POST|GET /api/<method>`; form-encoded, JSON or query-string params, merged (form / query fields
  `blocks`, `attachments`, `view`, `files`, `metadata` holding JSON text are decoded; other form
  values stay strings, e.g. `length="3000"`). Answers are
  `application/json; charset=utf-8` with `x-oauth-scopes`; errors are HTTP 200 `{"ok": false,
  "error": ...}` (plus `errors` / `response_metadata.messages` for block and view problems).
* Auth from `Authorization: Bearer` (or a `token` param): none -> `not_authed`, unknown ->
  `invalid_auth`, an app-level token (`xapp-`) anywhere but `apps.connections.open` (and a bot
  token there) -> `not_allowed_token_type`. `FakeSlack(token=None)` accepts any `xoxb-` token.
* Methods: auth.test, chat.postMessage / update / postEphemeral / delete, files.getUploadURLExternal
  + the upload URL (`/upload/v1/<file_id>`, no auth, answers `text/plain` "OK - <n>") +
  files.completeUploadExternal + files.info, views.open / update, conversations.info, users.info,
  reactions.add, apps.connections.open. Anything else under /api/ -> `unknown_method`.
* Limits (chat.*): more than 50 blocks, a section text over 3000 chars, section fields over 10 or
  2000 chars, a header over 150 chars, empty text objects, context over 10 elements, actions over
  25 elements, button text over 75 / value over 2000 / action_id over 255, duplicate block_ids,
  duplicate action_ids in a block, unknown block types -> `invalid_blocks`; `text` over 40,000
  chars -> `msg_too_long`; no text, blocks or attachments -> `no_text`. chat.update / delete of a
  ts the fake did not post -> `message_not_found`. Views: more than 100 blocks, title / submit /
  close over 24 chars, private_metadata over 3000, input blocks without `submit` ->
  `invalid_arguments`; a trigger_id used twice -> `exchanged_trigger_id`; views.update of an
  unknown view -> `not_found`, stale `hash` -> `hash_conflict`. reactions.add twice ->
  `already_reacted`.
* Messages the bot posts are kept (`fake.message`, `fake.messages`, `fake.thread`) with real
  `ts` values ("1700000000.000100", increasing, unique for the fake's life), block_ids filled in,
  `edited` after chat.update, `reply_count` on thread parents. Uploaded files are kept in
  `fake.files` (bytes in `.content`) and, once completed into a channel, appear as a message.
* Scripting: `rate_limit(method, times, retry_after)` -> HTTP 429, `Retry-After`,
  `{"ok": false, "error": "ratelimited"}`; `fail_next(method, error)` -> any other error.
* `response_url(...)` gives a URL on the fake for slash-command / action payloads; what bolt's
  `respond()` posts there is recorded as method "response_url" (params = the JSON body).

Every request is a `Call` in `fake.calls` (rate-limited and failed ones too: see `Call.ok`).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import mimetypes
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from tests.support.loopback import LoopbackServer

# -- the fake workspace ------------------------------------------------------------------------

TEAM_ID = "T0FAKETEAM"
TEAM_NAME = "Fake Workspace"
TEAM_DOMAIN = "fake-workspace"
APP_ID = "A0FAKEAPP"
BOT_ID = "B0FAKEBOT"
BOT_USER_ID = "U0FAKEBOT"
BOT_NAME = "recap"
USER_ID = "U0FAKEUSER"
USER_NAME = "alice"
CHANNEL_ID = "C0FAKECHAN"
CHANNEL_NAME = "general"
BOT_TOKEN = "xoxb-1234-5678-fakebottoken"
APP_TOKEN = "xapp-1-A0FAKEAPP-1234-fakeapptoken"
VERIFICATION_TOKEN = "fake-verification-token"
SIGNING_SECRET = "fake-signing-secret"
SCOPES = "app_mentions:read,channels:history,channels:read,chat:write,commands,files:write,groups:history,im:history,im:read,mpim:history,reactions:write,users:read"

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000

_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "unfurls")
_BLOCK_TYPES = {
    "section", "header", "divider", "context", "actions", "image", "rich_text", "markdown",
    "input", "file", "video", "context_actions", "table",
}


@dataclass
class Call:
    """One request the fake received."""

    method: str  # "chat.postMessage", ... ; "upload" (the upload URL), "response_url", "files.download"
    params: dict[str, Any]  # query + body, JSON fields decoded
    headers: dict[str, str]  # lower-cased names
    at: float  # time.time()
    status: int = 200
    response: dict[str, Any] | None = None  # the JSON answered (None for upload / response_url)
    body: bytes = b""  # the raw request body
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        """HTTP 200 and, for JSON answers, `"ok": true`."""
        return self.status == 200 and (self.response is None or self.response.get("ok") is True)

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int  # as declared to files.getUploadURLExternal
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None  # None until the upload URL received it
    title: str | None = None
    completed: bool = False
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    created: int = 0


class _SlackError(Exception):
    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            out["errors"] = list(self.messages)
            out["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return out


class FakeSlack(LoopbackServer):
    """The Slack Web API on 127.0.0.1 (ephemeral port, daemon threads); a context manager."""

    thread_name = "fake-slack"

    def __init__(
        self,
        token: str | None = BOT_TOKEN,
        *,
        app_token: str | None = APP_TOKEN,
        team_id: str = TEAM_ID,
        team: str = TEAM_NAME,
        team_domain: str = TEAM_DOMAIN,
        app_id: str = APP_ID,
        bot_id: str = BOT_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_name: str = BOT_NAME,
        scopes: str = SCOPES,
        ts_start: int = 1_700_000_000,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.team_id = team_id
        self.team = team
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_id = bot_id
        self.bot_user_id = bot_user_id
        self.bot_name = bot_name
        self.scopes = scopes
        self._ts_start = ts_start
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._clear()

    def _clear(self) -> None:
        self._calls: list[Call] = []
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.files: dict[str, UploadedFile] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.reactions: list[tuple[str, str, str]] = []  # (channel, timestamp, name)
        self._used_triggers: set[str] = set()
        self._rate_limits: dict[str, list[int]] = {}  # method -> [times_left, retry_after]
        self._failures: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._users: dict[str, dict[str, Any]] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        """For WebClient(base_url=...) / AsyncWebClient(base_url=...): slack_sdk urljoins the method name."""
        return self.base_url + "api/"

    def response_url(self, kind: str = "commands") -> str:
        """A response_url for slash-command ("commands") or interactivity ("actions") payloads."""
        return f"{self.base_url}{kind}/{self.team_id}/{next(self._id_counter)}/{uuid.uuid4().hex[:24]}"

    # -- scripting ---------------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer 429 + Retry-After + {"ok": false, "error": "ratelimited"}."""
        with self._lock:
            self._rate_limits[method] = [times, retry_after]

    def fail_next(self, method: str, error: str, *, times: int = 1, status: int = 200, **extra: Any) -> None:
        """The next `times` calls of `method` answer {"ok": false, "error": error, **extra} with `status`."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(error, status, extra)] * times)

    def add_channel(self, channel_id: str, **fields: Any) -> dict[str, Any]:
        """What conversations.info says about `channel_id` (fields override the synthesized ones)."""
        with self._lock:
            info = {**self._synth_channel(channel_id), **fields}
            self._channels[channel_id] = info
            return copy.deepcopy(info)

    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """What users.info says about `user_id` (fields override the synthesized ones)."""
        with self._lock:
            info = {**self._synth_user(user_id), **fields}
            self._users[user_id] = info
            return copy.deepcopy(info)

    def reset(self) -> None:
        """Forget calls, messages, files, views, reactions, scripted failures, added channels/users.

        `ts` values keep increasing across resets."""
        with self._lock:
            self._clear()
            self._changed.notify_all()

    # -- what happened -----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        """Calls of `method`; ok=True / False keeps only successful / failed ones."""
        with self._lock:
            return [c for c in self._calls if c.method == method and (ok is None or c.ok == ok)]

    def last(self, method: str) -> Call:
        found = self.calls_to(method)
        if not found:
            raise AssertionError(f"no {method} call; calls: {self._summary()}")
        return found[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = True) -> list[Call]:
        """Block until `count` calls of `method` (successful ones by default) were answered; return them.

        Raises AssertionError on timeout. Do not call from a running event loop that has to serve the
        work you wait for: use `wait_for_async` there."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method and (ok is None or c.ok == ok)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout}s for {count} {method} call(s), got {len(found)}; calls: {self._summary()}"
                    )
                self._changed.wait(min(left, 0.05))

    async def wait_for_async(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = True
    ) -> list[Call]:
        """`wait_for` that polls with asyncio.sleep, so the event loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method, ok=ok)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"waited {timeout}s for {count} {method} call(s), got {len(found)}; calls: {self._summary()}"
                )
            await asyncio.sleep(0.01)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current state of a message the bot posted (after updates), or None (never / deleted)."""
        with self._lock:
            found = self._messages.get((channel, ts))
            return copy.deepcopy(found) if found is not None else None

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Live messages the bot posted (oldest first), each with an added "channel" key."""
        with self._lock:
            out = [
                {**copy.deepcopy(m), "channel": ch}
                for (ch, _), m in self._messages.items()
                if channel is None or ch == channel
            ]
        return sorted(out, key=lambda m: _ts_key(m["ts"]))

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Live bot messages in a thread: its parent (if the bot posted it) and the replies, oldest first."""
        return [
            m for m in self.messages(channel)
            if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
        ]

    def _summary(self) -> str:
        with self._lock:
            return ", ".join(f"{c.method}{'' if c.ok else '!' + str(c.error or c.status)}" for c in self._calls) or "none"

    # -- ids ---------------------------------------------------------------------------------

    def next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{self._ts_start + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):010d}"

    # -- request handling --------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _api(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Returns (status, json, extra headers)."""
        handler = _METHODS.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        with self._lock:
            limit = self._rate_limits.get(method)
            if limit is not None:
                limit[0] -= 1
                if limit[0] <= 0:
                    del self._rate_limits[method]
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limit[1])}
            failures = self._failures.get(method)
            if failures:
                error, status, extra = failures.pop(0)
                return status, {"ok": False, "error": error, **extra}, {}
        try:
            self._check_token(method, params, headers)
            with self._lock:
                result = handler(self, params)
            return 200, {"ok": True, **result}, {}
        except _SlackError as e:
            return 200, e.payload(), {}

    def _check_token(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token")
        if not token:
            raise _SlackError("not_authed")
        if token.startswith("xapp-"):
            if self.app_token is not None and token != self.app_token:
                raise _SlackError("invalid_auth")
            if method != "apps.connections.open":
                raise _SlackError("not_allowed_token_type")
            return
        if self.token is None:
            if not token.startswith("xoxb-"):
                raise _SlackError("invalid_auth")
        elif token != self.token:
            raise _SlackError("invalid_auth")
        if method == "apps.connections.open":
            raise _SlackError("not_allowed_token_type")

    # -- methods -----------------------------------------------------------------------------

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _bot_profile(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "deleted": False,
            "name": self.bot_name,
            "updated": self._ts_start,
            "app_id": self.app_id,
            "icons": {
                "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png",
                "image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png",
                "image_72": "https://a.slack-edge.com/80588/img/plugins/app/service_72.png",
            },
            "team_id": self.team_id,
        }

    def _content(self, p: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
        """Validated text / blocks / attachments of a chat.* call."""
        text = p.get("text")
        blocks = p.get("blocks")
        attachments = p.get("attachments")
        if text is not None and not isinstance(text, str):
            text = str(text)
        if blocks is not None:
            if not isinstance(blocks, list):
                raise _SlackError("invalid_blocks_format")
            problems = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
            if problems:
                raise _SlackError("invalid_blocks", problems)
        if attachments is not None and not isinstance(attachments, list):
            raise _SlackError("invalid_attachments")
        if text is not None and len(text) > MAX_TEXT:
            raise _SlackError("msg_too_long")
        if required and not text and not blocks and not attachments:
            raise _SlackError("no_text")
        out: dict[str, Any] = {}
        if text is not None:
            out["text"] = text
        if blocks is not None:
            out["blocks"] = _with_block_ids(blocks)
        if attachments is not None:
            out["attachments"] = copy.deepcopy(attachments)
        return out

    def _post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if not channel:
            raise _SlackError("channel_not_found")
        content = self._content(p)
        ts = self.next_ts()
        message: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": content.get("text", ""),
            "team": self.team_id,
            "bot_profile": self._bot_profile(),
        }
        message.update({k: v for k, v in content.items() if k != "text"})
        if p.get("metadata") is not None:
            message["metadata"] = p["metadata"]
        thread_ts = p.get("thread_ts")
        if thread_ts:
            thread_ts = str(thread_ts)
            message["thread_ts"] = thread_ts
            parent = self._messages.get((channel, thread_ts))
            message["parent_user_id"] = parent["user"] if parent else USER_ID
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = ts
                parent["reply_users"] = sorted({*parent.get("reply_users", []), self.bot_user_id})
                parent["reply_users_count"] = len(parent["reply_users"])
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel"), p.get("ts")
        if not channel:
            raise _SlackError("channel_not_found")
        if not ts:
            raise _SlackError("message_not_found")
        message = self._messages.get((channel, str(ts)))
        if message is None:
            raise _SlackError("message_not_found")
        content = self._content(p)
        message.update(content)
        message["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
        echo = {k: v for k, v in message.items() if k not in ("ts", "type", "team", "thread_ts", "parent_user_id")}
        return {"channel": channel, "ts": str(ts), "text": message.get("text", ""), "message": copy.deepcopy(echo)}

    def _post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, user = p.get("channel"), p.get("user")
        if not channel:
            raise _SlackError("channel_not_found")
        if not user:
            raise _SlackError("user_not_found")
        content = self._content(p)
        ts = self.next_ts()
        self.ephemerals.append({"channel": channel, "user": user, "ts": ts, "thread_ts": p.get("thread_ts"), **content})
        return {"message_ts": ts}

    def _delete(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel"), p.get("ts")
        if not channel:
            raise _SlackError("channel_not_found")
        if not ts or (channel, str(ts)) not in self._messages:
            raise _SlackError("message_not_found")
        del self._messages[(channel, str(ts))]
        return {"channel": channel, "ts": str(ts)}

    def _get_upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        filename = p.get("filename")
        try:
            length = int(p.get("length"))
        except (TypeError, ValueError):
            length = -1
        if not filename or length < 0:
            raise _SlackError("invalid_arguments", ["filename and length are required"])
        file_id = self._new_id("F")
        self.files[file_id] = UploadedFile(
            id=file_id, filename=str(filename), length=length,
            alt_txt=p.get("alt_txt"), snippet_type=p.get("snippet_type"), created=int(time.time()),
        )
        return {"upload_url": f"{self.base_url}upload/v1/{file_id}", "file_id": file_id}

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        if not isinstance(files, list) or not files:
            raise _SlackError("invalid_arguments", ["files must be a non-empty JSON array"])
        channel = p.get("channel_id")
        if not channel and p.get("channels"):
            channel = str(p["channels"]).split(",")[0]
        done: list[UploadedFile] = []
        for item in files:
            f = self.files.get(item.get("id")) if isinstance(item, dict) else None
            if f is None or f.content is None:
                raise _SlackError("file_not_found")
            done.append(f)
        for item, f in zip(files, done):
            f.title = item.get("title") or f.filename
            f.completed = True
            f.channel_id = channel
            f.thread_ts = p.get("thread_ts")
            f.initial_comment = p.get("initial_comment")
        if channel:
            ts = self.next_ts()
            message = {
                "user": self.bot_user_id, "type": "message", "ts": ts, "text": p.get("initial_comment") or "",
                "team": self.team_id, "upload": True, "display_as_bot": False,
                "files": [self._file_object(f) for f in done],
            }
            if p.get("thread_ts"):
                message["thread_ts"] = str(p["thread_ts"])
            self._messages[(channel, ts)] = message
        return {"files": [self._file_object(f) for f in done]}

    def _file_object(self, f: UploadedFile) -> dict[str, Any]:
        ext = f.filename.rsplit(".", 1)[-1].lower() if "." in f.filename else ""
        mimetype = mimetypes.guess_type(f.filename)[0] or ("text/plain" if ext in ("txt", "md", "") else "application/octet-stream")
        url = f"{self.base_url}files/{f.id}/{quote(f.filename)}"
        shares: dict[str, Any] = {}
        if f.channel_id:
            share = {"ts": f.thread_ts or "", "channel_name": CHANNEL_NAME, "team_id": self.team_id, "share_user_id": self.bot_user_id}
            shares = {"private" if f.channel_id[0] in "GD" else "public": {f.channel_id: [share]}}
        return {
            "id": f.id, "created": f.created, "timestamp": f.created, "name": f.filename,
            "title": f.title or f.filename, "mimetype": mimetype, "filetype": ext or "text",
            "pretty_type": (ext or "text").upper(), "user": self.bot_user_id, "user_team": self.team_id,
            "editable": False, "size": len(f.content or b""), "mode": "hosted", "is_external": False,
            "external_type": "", "is_public": bool(f.channel_id and f.channel_id[0] == "C"),
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": url, "url_private_download": url + "?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{f.id}/{quote(f.filename)}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{f.id}-{uuid.uuid4().hex[:10]}",
            "comments_count": 0, "is_starred": False, "shares": shares,
            "channels": [f.channel_id] if f.channel_id and f.channel_id[0] == "C" else [],
            "groups": [f.channel_id] if f.channel_id and f.channel_id[0] == "G" else [],
            "ims": [f.channel_id] if f.channel_id and f.channel_id[0] == "D" else [],
            "has_more_shares": False, "has_rich_preview": False, "file_access": "visible",
            **({"alt_txt": f.alt_txt} if f.alt_txt else {}),
        }

    def _files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        f = self.files.get(p.get("file") or "")
        if f is None or not f.completed:
            raise _SlackError("file_not_found")
        return {"file": self._file_object(f), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _view_from(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view")
        if not isinstance(view, dict):
            raise _SlackError("invalid_arguments", ["view must be a JSON object [json-pointer:/view]"])
        problems = validate_view(view)
        if problems:
            raise _SlackError("invalid_arguments", problems)
        return view

    def _store_view(self, view: dict[str, Any], view_id: str, root: str, previous: str | None) -> dict[str, Any]:
        stored = {
            "id": view_id, "team_id": self.team_id, "type": view.get("type", "modal"),
            "blocks": _with_block_ids(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
            "state": {"values": {}}, "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": view.get("title"), "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"), "submit": view.get("submit"),
            "previous_view_id": previous, "root_view_id": root, "app_id": self.app_id,
            "external_id": view.get("external_id", ""), "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }
        self.views[view_id] = stored
        return copy.deepcopy(stored)

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        trigger = p.get("trigger_id")
        if not trigger:
            raise _SlackError("invalid_arguments", ["missing required field: trigger_id"])
        if trigger in self._used_triggers:
            raise _SlackError("exchanged_trigger_id")
        view = self._view_from(p)
        self._used_triggers.add(trigger)
        view_id = self._new_id("V")
        return {"view": self._store_view(view, view_id, view_id, None)}

    def _views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view = self._view_from(p)
        view_id = p.get("view_id")
        if not view_id and p.get("external_id"):
            view_id = next((v["id"] for v in self.views.values() if v["external_id"] == p["external_id"]), None)
        old = self.views.get(view_id or "")
        if old is None:
            raise _SlackError("not_found")
        if p.get("hash") and p["hash"] != old["hash"]:
            raise _SlackError("hash_conflict")
        return {"view": self._store_view(view, old["id"], old["root_view_id"], old["previous_view_id"])}

    def _synth_channel(self, cid: str) -> dict[str, Any]:
        base = {
            "id": cid, "created": self._ts_start - 86_400 * 30, "is_archived": False, "is_org_shared": False,
            "is_shared": False, "is_ext_shared": False, "is_pending_ext_shared": False,
            "context_team_id": self.team_id, "updated": self._ts_start * 1000,
        }
        if cid.startswith("D"):
            return {
                **base, "is_im": True, "is_mpim": False, "is_channel": False, "is_group": False,
                "is_private": True, "user": USER_ID, "is_user_deleted": False, "priority": 0,
                "is_open": True, "last_read": "0000000000.000000",
            }
        private = cid.startswith("G")
        name = CHANNEL_NAME if cid == CHANNEL_ID else f"channel-{cid.lower()}"
        return {
            **base, "name": name, "name_normalized": name, "is_channel": not private, "is_group": private,
            "is_im": False, "is_mpim": False, "is_private": private, "is_general": cid == CHANNEL_ID,
            "unlinked": 0, "is_member": True, "creator": USER_ID, "shared_team_ids": [self.team_id],
            "pending_shared": [], "pending_connected_team_ids": [], "parent_conversation": None,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": [],
        }

    def _conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p.get("channel")
        if not cid:
            raise _SlackError("channel_not_found")
        info = copy.deepcopy(self._channels.get(cid) or self._synth_channel(cid))
        if str(p.get("include_num_members", "")).lower() in ("1", "true") and not info.get("is_im"):
            info.setdefault("num_members", 3)
        return {"channel": info}

    def _synth_user(self, uid: str) -> dict[str, Any]:
        is_bot = uid == self.bot_user_id
        name = self.bot_name if is_bot else (USER_NAME if uid == USER_ID else f"user-{uid.lower()}")
        real = name.title()
        profile: dict[str, Any] = {
            "title": "", "phone": "", "skype": "", "real_name": real, "real_name_normalized": real,
            "display_name": name, "display_name_normalized": name, "status_text": "", "status_emoji": "",
            "avatar_hash": "g0000000000", "first_name": real, "last_name": "", "team": self.team_id,
            "image_24": "https://secure.gravatar.com/avatar/0.jpg?s=24",
            "image_48": "https://secure.gravatar.com/avatar/0.jpg?s=48",
            "image_72": "https://secure.gravatar.com/avatar/0.jpg?s=72",
        }
        if is_bot:
            profile.update({"bot_id": self.bot_id, "api_app_id": self.app_id, "always_active": True})
        return {
            "id": uid, "team_id": self.team_id, "name": name, "deleted": False, "color": "9f69e7",
            "real_name": real, "tz": "Europe/London", "tz_label": "Greenwich Mean Time", "tz_offset": 0,
            "profile": profile, "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": is_bot, "is_app_user": False,
            "updated": self._ts_start, "is_email_confirmed": not is_bot, "who_can_share_contact_card": "EVERYONE",
        }

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        uid = p.get("user")
        if not uid:
            raise _SlackError("user_not_found")
        return {"user": copy.deepcopy(self._users.get(uid) or self._synth_user(uid))}

    def _reactions_add(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts, name = p.get("channel"), p.get("timestamp"), p.get("name")
        if not channel or not ts:
            raise _SlackError("no_item_specified")
        if not name:
            raise _SlackError("invalid_name")
        name = str(name).strip(":")
        key = (channel, str(ts), name)
        if key in self.reactions:
            raise _SlackError("already_reacted")
        self.reactions.append(key)
        return {}

    def _connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4()
        return {"url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}

    # -- non-API routes -------------------------------------------------------------------------

    def _upload(self, file_id: str, body: bytes) -> tuple[int, bytes]:
        with self._lock:
            f = self.files.get(file_id)
            if f is None:
                return 404, b"file not found"
            f.content = bytes(body)
            return 200, f"OK - {len(body)}".encode()

    def _download(self, file_id: str, headers: dict[str, str]) -> tuple[int, bytes]:
        auth = headers.get("authorization", "")
        with self._lock:
            f = self.files.get(file_id)
            if f is None or f.content is None:
                return 404, b"file not found"
            if not auth.lower().startswith("bearer ") or (self.token is not None and auth[7:].strip() != self.token):
                return 403, b"forbidden"
            return 200, f.content


_METHODS = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._post_message,
    "chat.update": FakeSlack._update,
    "chat.postEphemeral": FakeSlack._post_ephemeral,
    "chat.delete": FakeSlack._delete,
    "files.getUploadURLExternal": FakeSlack._get_upload_url,
    "files.completeUploadExternal": FakeSlack._complete_upload,
    "files.info": FakeSlack._files_info,
    "views.open": FakeSlack._views_open,
    "views.update": FakeSlack._views_update,
    "conversations.info": FakeSlack._conversations_info,
    "users.info": FakeSlack._users_info,
    "reactions.add": FakeSlack._reactions_add,
    "apps.connections.open": FakeSlack._connections_open,
}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, http_method: str) -> None:
        fake = self.fake
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        now = time.time()

        if path.startswith("/api/"):
            method = path[len("/api/"):]
            try:
                params = _parse_params(parts.query, body, headers.get("content-type", ""))
            except ValueError as e:
                status, payload, extra = 200, {"ok": False, "error": str(e)}, {}
                params = {}
            else:
                status, payload, extra = fake._api(method, params, headers)
            fake._record(Call(method, params, headers, now, status, payload, body, http_method))
            extra = {"x-oauth-scopes": fake.scopes, "x-accepted-oauth-scopes": "", **extra}
            self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", extra)
            return

        if path.startswith("/upload/v1/") and http_method == "POST":
            file_id = path[len("/upload/v1/"):].strip("/")
            status, out = fake._upload(file_id, body)
            fake._record(Call("upload", {"file_id": file_id, "length": len(body)}, headers, now, status, None, body))
            self._send(status, out, "text/plain; charset=utf-8")
            return

        if path.startswith("/files/") and http_method == "GET":
            file_id = path.split("/")[2]
            status, out = fake._download(file_id, headers)
            fake._record(Call("files.download", {"file_id": file_id}, headers, now, status, None, b"", "GET"))
            self._send(status, out, "application/octet-stream")
            return

        if path.startswith(("/commands/", "/actions/")) and http_method == "POST":
            try:
                params = json.loads(body or b"{}")
                status, out = 200, b"ok"
            except ValueError:
                params, status, out = {}, 400, b"invalid_payload"
            fake._record(Call("response_url", params, headers, now, status, None, body))
            self._send(status, out, "text/html")
            return

        fake._record(Call(path, {}, headers, now, 404, None, body, http_method))
        self._send(404, b"Not Found", "text/plain")


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if body:
        if ctype == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise ValueError("invalid_json") from None
            if not isinstance(data, dict):
                raise ValueError("invalid_json")
            params.update(data)
        elif ctype in ("application/x-www-form-urlencoded", ""):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        else:
            raise ValueError("invalid_form_data")
    for name in _JSON_FIELDS:  # form / query values carry JSON text (AsyncWebClient sends params in the query)
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[name] = json.loads(value)
            except ValueError:
                pass
    return params


def _ts_key(ts: str) -> tuple[int, int]:
    sec, _, frac = ts.partition(".")
    return int(sec), int(frac or 0)


def _with_block_ids(blocks: list[Any]) -> list[Any]:
    out = copy.deepcopy(blocks)
    for block in out:
        if isinstance(block, dict) and "block_id" not in block:
            block["block_id"] = uuid.uuid4().hex[:5]
    return out


# -- Block Kit validation (the limits the real API enforces) -----------------------------------


def _text_problems(obj: Any, pointer: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"must be a text object [json-pointer:{pointer}]"]
    if plain_only and obj.get("type") != "plain_text":
        return [f"must be a plain_text object [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _element_problems(el: Any, pointer: str) -> list[str]:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        return [f"must be an element object [json-pointer:{pointer}]"]
    problems: list[str] = []
    if el["type"] == "button":
        problems += _text_problems(el.get("text"), pointer + "/text", 75, plain_only=True)
        if len(str(el.get("value", ""))) > 2000:
            problems.append(f"must be less than 2001 characters [json-pointer:{pointer}/value]")
        if len(str(el.get("url", ""))) > 3000:
            problems.append(f"must be less than 3001 characters [json-pointer:{pointer}/url]")
        if el.get("style") not in (None, "primary", "danger"):
            problems.append(f"must be one of primary, danger [json-pointer:{pointer}/style]")
    if len(str(el.get("action_id", ""))) > 255:
        problems.append(f"must be less than 256 characters [json-pointer:{pointer}/action_id]")
    return problems


def validate_blocks(blocks: list[Any], *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Problems the real API reports for these blocks (empty list: valid)."""
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"must be less than {max_blocks + 1} items [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict):
            problems.append(f"must be an object [json-pointer:{at}]")
            continue
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            problems.append(f"unsupported type: {kind} [json-pointer:{at}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > 255:
                problems.append(f"must be less than 256 characters [json-pointer:{at}/block_id]")
            if block_id in seen_ids:
                problems.append(f"duplicate block_id [json-pointer:{at}/block_id]")
            seen_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"must provide either text or fields [json-pointer:{at}]")
            if "text" in block:
                problems += _text_problems(block["text"], at + "/text", 3000)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not fields or len(fields) > 10:
                    problems.append(f"must be 1 to 10 items [json-pointer:{at}/fields]")
                else:
                    for j, f in enumerate(fields):
                        problems += _text_problems(f, f"{at}/fields/{j}", 2000)
            if "accessory" in block:
                problems += _element_problems(block["accessory"], at + "/accessory")
        elif kind == "header":
            problems += _text_problems(block.get("text"), at + "/text", 150, plain_only=True)
        elif kind in ("context", "actions"):
            limit = 10 if kind == "context" else 25
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                problems.append(f"must be more than 0 items [json-pointer:{at}/elements]")
                continue
            if len(elements) > limit:
                problems.append(f"must be less than {limit + 1} items [json-pointer:{at}/elements]")
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                el_at = f"{at}/elements/{j}"
                if kind == "context":
                    if isinstance(el, dict) and el.get("type") == "image":
                        continue
                    problems += _text_problems(el, el_at, 3000)
                else:
                    problems += _element_problems(el, el_at)
                    action_id = el.get("action_id") if isinstance(el, dict) else None
                    if action_id is not None:
                        if action_id in action_ids:
                            problems.append(f"duplicate action_id [json-pointer:{el_at}/action_id]")
                        action_ids.add(action_id)
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                problems.append(f"must provide image_url or slack_file [json-pointer:{at}]")
            if not block.get("alt_text") or len(str(block["alt_text"])) > 2000:
                problems.append(f"must be 1 to 2000 characters [json-pointer:{at}/alt_text]")
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text or len(text) > 12000:
                problems.append(f"must be 1 to 12000 characters [json-pointer:{at}/text]")
        elif kind == "input":
            problems += _text_problems(block.get("label"), at + "/label", 2000, plain_only=True)
            if not isinstance(block.get("element"), dict):
                problems.append(f"must provide an element [json-pointer:{at}/element]")
    return problems


def validate_view(view: dict[str, Any]) -> list[str]:
    """Problems the real API reports for a modal view (empty list: valid)."""
    problems: list[str] = []
    if view.get("type") not in ("modal", "home"):
        problems.append("must be one of modal, home [json-pointer:/view/type]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("must provide an array [json-pointer:/view/blocks]")
        blocks = []
    problems += validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    if view.get("type") == "modal":
        problems += _text_problems(view.get("title"), "/view/title", 24, plain_only=True)
        for name in ("submit", "close"):
            if view.get(name) is not None:
                problems += _text_problems(view[name], f"/view/{name}", 24, plain_only=True)
        if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks) and not view.get("submit"):
            problems.append("must provide submit when the view has input blocks [json-pointer:/view/submit]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
    return problems


# -- requests from Slack to the app --------------------------------------------------------------

Payload = tuple[bytes, str]  # (body, content type)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

_event_ts_lock = threading.Lock()
_last_event_ts = [0]
_ids = itertools.count(1)


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature (v0=hex HMAC-SHA256 of b"v0:{ts}:" + body)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(
    payload: Payload,
    secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """All headers Slack sends with `payload`: Content-Type, signature, and on redeliveries
    X-Slack-Retry-Num / X-Slack-Retry-Reason (Slack's reasons: http_timeout, too_many_requests,
    http_error, connection_failed, ssl_error, unknown_error)."""
    body, content_type = payload
    headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Accept": "application/json,*/*",
        **sign(body, secret, timestamp),
    }
    if retry_num:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


@dataclass
class Delivery:
    """What the app answered to a request from "Slack"."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def post_signed(url: str, payload: Payload, secret: str, *, timeout: float = 10, **header_options: Any) -> Delivery:
    """POST `payload` to the app's endpoint as Slack would (blocking; not from the loop serving `url`)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=payload[0], method="POST", headers=signed_headers(payload, secret, **header_options))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Delivery(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as e:
        return Delivery(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


async def post_signed_async(url: str, payload: Payload, secret: str, *, timeout: float = 10, **header_options: Any) -> Delivery:
    """`post_signed` with aiohttp, for an app served by the running event loop."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(url, data=payload[0], headers=signed_headers(payload, secret, **header_options)) as resp:
            return Delivery(resp.status, {k.lower(): v for k, v in resp.headers.items()}, await resp.read())


def bolt_request(payload: Payload, secret: str, *, async_: bool = False, **header_options: Any):
    """A slack_bolt BoltRequest (AsyncBoltRequest with async_=True) for app.dispatch / app.async_dispatch."""
    headers = signed_headers(payload, secret, **header_options)
    if async_:
        from slack_bolt.request.async_request import AsyncBoltRequest

        return AsyncBoltRequest(body=payload[0].decode("utf-8"), headers=headers)
    from slack_bolt.request import BoltRequest

    return BoltRequest(body=payload[0].decode("utf-8"), headers=headers)


def new_ts() -> str:
    """A unique, increasing, current Slack ts ("1732544000.123456")."""
    with _event_ts_lock:
        micros = max(int(time.time() * 1_000_000), _last_event_ts[0] + 1)
        _last_event_ts[0] = micros
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [{
        "type": "rich_text", "block_id": uuid.uuid4().hex[:5],
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }]


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """The Events API envelope (JSON) around `event`."""
    event_id = event_id or f"Ev{next(_ids):08d}{uuid.uuid4().hex[:4].upper()}"
    event_time = event_time if event_time is not None else int(float(event.get("event_ts") or time.time()))
    body = {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": None, "team_id": team_id, "user_id": bot_user_id,
            "is_bot": True, "is_enterprise_install": False,
        }],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJ{uuid.uuid4().hex[:16]}",
    }
    return json.dumps(body).encode(), JSON


def message(
    text: str,
    *,
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str | None = None,
    parent_user_id: str | None = None,
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """A user's `message` event (channel_type from the id: C channel, G group, D im); a thread
    reply when thread_ts is given."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message", "user": user, "text": text, "client_msg_id": str(uuid.uuid4()),
        "blocks": _rich_text(text), "team": team_id, "channel": channel, "ts": ts, "event_ts": ts,
        "channel_type": channel_type or _channel_type(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or user
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def bot_message(
    text: str,
    *,
    bot_id: str = "B0OTHERBOT",
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    subtype: str | None = "bot_message",
    user: str | None = None,
    username: str = "otherbot",
    app_id: str = "A0OTHERAPP",
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """A bot's `message` event. `subtype="bot_message"` is the legacy/webhook shape; an app's bot
    user posting with chat.postMessage sends subtype=None with `user` (its bot user) and bot_id.
    Pass bot_id=BOT_ID, user=BOT_USER_ID, subtype=None for recap's own messages."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message", "text": text, "ts": ts, "event_ts": ts, "bot_id": bot_id, "app_id": app_id,
        "channel": channel, "channel_type": _channel_type(channel), "team": team_id,
    }
    if subtype:
        event["subtype"] = subtype
        event["username"] = username
    if user:
        event["user"] = user
        event["bot_profile"] = {"id": bot_id, "app_id": app_id, "name": username, "deleted": False, "team_id": team_id}
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user or USER_ID
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def message_changed(
    text: str,
    *,
    ts: str,
    previous_text: str = "",
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """`message` / `message_changed`: the message with ts `ts` was edited to `text`."""
    event_ts = new_ts()
    new = {
        "type": "message", "user": user, "text": text, "team": team_id, "ts": ts,
        "edited": {"user": user, "ts": event_ts}, "blocks": _rich_text(text), "client_msg_id": str(uuid.uuid4()),
    }
    old = {"type": "message", "user": user, "text": previous_text, "team": team_id, "ts": ts, "blocks": _rich_text(previous_text)}
    if thread_ts:
        new["thread_ts"] = old["thread_ts"] = thread_ts
    event = {
        "type": "message", "subtype": "message_changed", "message": new, "previous_message": old,
        "channel": channel, "hidden": True, "ts": event_ts, "event_ts": event_ts,
        "channel_type": _channel_type(channel),
    }
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def app_mention(
    text: str,
    *,
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """An `app_mention` event (text usually starts with f"<@{BOT_USER_ID}>"). Slack also sends a
    separate `message` event for the same message when the app subscribes to message.* events."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "app_mention", "user": user, "text": text, "ts": ts, "client_msg_id": str(uuid.uuid4()),
        "team": team_id, "blocks": _rich_text(text), "channel": channel, "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def url_verification(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", *, token: str = VERIFICATION_TOKEN) -> Payload:
    """The Events API URL check (JSON); the app must answer the challenge."""
    return json.dumps({"token": token, "challenge": challenge, "type": "url_verification"}).encode(), JSON


def slash_command(
    text: str,
    *,
    command: str = "/recap",
    channel: str = CHANNEL_ID,
    channel_name: str | None = None,
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A slash command (form-encoded). Pass response_url=fake.response_url() to record respond()."""
    fields = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel,
        "channel_name": channel_name or (CHANNEL_NAME if channel == CHANNEL_ID else ("directmessage" if channel.startswith("D") else f"channel-{channel.lower()}")),
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/{next(_ids)}/{uuid.uuid4().hex[:24]}",
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode(), FORM


def block_actions(
    action_id: str,
    value: str | None = None,
    *,
    message: dict[str, Any] | None = None,
    channel: str = CHANNEL_ID,
    message_ts: str | None = None,
    block_id: str | None = None,
    button_text: str = "Button",
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    state_values: dict[str, Any] | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A button click in a message (form field `payload` = JSON). Pass message=fake.message(ch, ts)
    (or a dict with ts/thread_ts/blocks) so `message` and `container` match what the bot posted;
    block_id defaults to the block holding `action_id` in that message."""
    msg = copy.deepcopy(message) if message is not None else {
        "type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID, "team": team_id,
        "text": "", "ts": message_ts or new_ts(), "blocks": [],
    }
    msg.pop("channel", None)
    if message_ts:
        msg["ts"] = message_ts
    if block_id is None:
        block_id = next(
            (b.get("block_id") for b in msg.get("blocks", []) if isinstance(b, dict)
             and any(isinstance(e, dict) and e.get("action_id") == action_id for e in b.get("elements", []) + [b.get("accessory") or {}])),
            None,
        ) or uuid.uuid4().hex[:5]
    container: dict[str, Any] = {"type": "message", "message_ts": msg["ts"], "channel_id": channel, "is_ephemeral": False}
    if msg.get("thread_ts"):
        container["thread_ts"] = msg["thread_ts"]
    action: dict[str, Any] = {
        "action_id": action_id, "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "type": "button", "action_ts": new_ts(),
    }
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": CHANNEL_NAME if channel == CHANNEL_ID else ("directmessage" if channel.startswith("D") else f"channel-{channel.lower()}")},
        "message": msg,
        "state": {"values": state_values or {}},
        "response_url": response_url or f"https://hooks.slack.com/actions/{team_id}/{next(_ids)}/{uuid.uuid4().hex[:24]}",
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str = "",
    view: dict[str, Any] | None = None,
    view_id: str | None = None,
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A modal submitted (form field `payload` = JSON). `values` is {block_id: {action_id: value}}
    where a str value becomes {"type": "plain_text_input", "value": str} and a dict is used as is.
    Pass view=fake.views[view_id] to submit the view the bot opened (its blocks, hash, ids)."""
    state = {
        block: {action: ({"type": "plain_text_input", "value": v} if isinstance(v, str) or v is None else v)
                for action, v in actions.items()}
        for block, actions in values.items()
    }
    base = copy.deepcopy(view) if view is not None else {
        "id": view_id or f"V{next(_ids):010d}", "team_id": team_id, "type": "modal",
        "blocks": [
            {"type": "input", "block_id": block, "label": {"type": "plain_text", "text": block, "emoji": True},
             "optional": False, "dispatch_action": False,
             "element": {"type": "plain_text_input", "action_id": action, "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]}}}
            for block, actions in values.items() for action in actions
        ],
        "title": {"type": "plain_text", "text": "Ask a question", "emoji": True},
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Ask", "emoji": True},
        "clear_on_close": False, "notify_on_close": False, "previous_view_id": None,
        "app_id": api_app_id, "external_id": "", "app_installed_team_id": team_id, "bot_id": BOT_ID,
    }
    base.setdefault("root_view_id", base["id"])
    base.update({
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": state},
        "hash": base.get("hash") or f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
    })
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or _trigger_id(),
        "view": base,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def _trigger_id() -> str:
    return f"{int(time.time())}.{next(_ids)}.{uuid.uuid4().hex}"


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


FakeSlack.handler = _Handler  # defined after the server it serves
