"""FakeSlack: the server object tests hold. It keeps the workspace's state, records every call,
answers scripted rate limits and failures, checks tokens, and hands the rest to the API methods."""

from __future__ import annotations

import asyncio
import copy
import itertools
import threading
import time
import uuid
from typing import Any

from tests.support.loopback import LoopbackServer

from .api import METHODS
from .files import UploadedFile
from .handler import Call, _Handler
from .limits import SlackError
from .oauth import CLIENT_ID, CLIENT_SECRET, basic_credentials, check_rotating
from .workspace import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_NAME,
    BOT_TOKEN,
    BOT_USER_ID,
    SCOPES,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    synth_channel,
    synth_user,
)


class FakeSlack(LoopbackServer):
    """The Slack Web API on 127.0.0.1 (ephemeral port, daemon threads); a context manager."""

    handler = _Handler
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
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        self.token = token
        self.client_id, self.client_secret = client_id, client_secret  # oauth.v2.access checks them
        # Rotating bot tokens the fake issued (token -> expiry, epoch seconds) and their refresh tokens.
        self.rotating: dict[str, float] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.app_token = app_token
        self.team_id = team_id
        self.team = team
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_id = bot_id
        self.bot_user_id = bot_user_id
        self.bot_name = bot_name
        self.scopes = scopes
        # Where apps.connections.open sends Socket Mode clients: a websocket server of the test's.
        self.socket_url: str | None = None
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
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> the Home tab views.publish gave them
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
        """A response_url for slash-command ("commands"), interactivity ("actions") or shortcut ("app") payloads."""
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
            info = {**synth_channel(self, channel_id), **fields}
            self._channels[channel_id] = info
            return copy.deepcopy(info)

    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """What users.info says about `user_id` (fields override the synthesized ones)."""
        with self._lock:
            info = {**synth_user(self, user_id), **fields}
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
        return [m for m in self.messages(channel) if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def digests(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """recap's live digest messages in a thread: those that open with the video's title (a header)."""
        return [m for m in self.thread(channel, thread_ts) if (m.get("blocks") or [{}])[0].get("type") == "header"]

    def _summary(self) -> str:
        with self._lock:
            return (
                ", ".join(f"{c.method}{'' if c.ok else '!' + str(c.error or c.status)}" for c in self._calls) or "none"
            )

    # -- ids ---------------------------------------------------------------------------------

    def next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{self._ts_start + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):010d}"

    # -- answering (called by the handler) ---------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _api(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Returns (status, json, extra headers)."""
        handler = METHODS.get(method)
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
            if method == "oauth.v2.access":  # the app's own credentials, not a token
                params = basic_credentials(headers, params)
            else:
                self._check_token(method, params, headers)
            with self._lock:
                result = handler(self, params)
            return 200, {"ok": True, **result}, {}
        except SlackError as e:
            return 200, e.payload(), {}

    def _check_token(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token")
        if not token:
            raise SlackError("not_authed")
        if check_rotating(self, token):
            return
        if token.startswith("xapp-"):
            if self.app_token is not None and token != self.app_token:
                raise SlackError("invalid_auth")
            if method != "apps.connections.open":
                raise SlackError("not_allowed_token_type")
            return
        if self.token is None:
            if not token.startswith("xoxb-"):
                raise SlackError("invalid_auth")
        elif token != self.token:
            raise SlackError("invalid_auth")
        if method == "apps.connections.open":
            raise SlackError("not_allowed_token_type")


def _ts_key(ts: str) -> tuple[int, int]:
    """A ts as numbers, so "10.000001" sorts after "9.999999"."""
    sec, _, frac = ts.partition(".")
    return int(sec), int(frac or 0)
