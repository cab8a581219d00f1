"""A fake Anthropic Messages API for tests: the real `anthropic` SDK talks to it over real HTTP.

    with FakeAnthropic() as fake:
        client = anthropic.Anthropic(base_url=fake.base_url, api_key=fake.api_key, max_retries=2)
        fake.push_error(529, "overloaded_error", "Overloaded")      # the SDK retries it after 1 ms
        fake.push_tool_use("write_digest", {"hook": "..."})          # ...and gets this
        message = client.messages.create(model=..., max_tokens=..., messages=[...], tools=[...])
        fake.requests[-1].body["tools"], fake.requests[-1].headers["x-stainless-retry-count"]

        fake.responder = lambda body: tool_use("write_digest", {"hook": last_user_text(body)})

What it does, like the real API (as far as the SDK can tell):

* `POST /v1/messages` only; anything else is a 404 `not_found_error`. Every answer is JSON
  (`content-type: application/json`, or `text/event-stream` for `"stream": true`) and carries a
  `request-id` header (`req_...`); error bodies are `{"type": "error", "error": {"type", "message"},
  "request_id"}`.
* Auth: the key is read from `x-api-key` or `Authorization: Bearer <key>` (anthropic 2.x sends an
  api_key as `Authorization: Bearer`); a missing or different key is a 401 `authentication_error`.
  `FakeAnthropic(api_key=None)` accepts any key.
* Validation (400 `invalid_request_error`, nothing scripted is used up): missing or ill-typed
  `model`/`max_tokens`/`messages`, unknown top-level fields, bad roles, empty content or empty text
  blocks, first message not `user`, consecutive turns of one role (`strict_alternation`), more than 4
  `cache_control` blocks, a 1h breakpoint after a 5m one, bad tools (names, `input_schema`, duplicates),
  `tool_choice` naming a tool that is not in `tools` (or any tool_choice but auto/none without tools),
  `tool_result` blocks that do not answer the previous assistant turn's `tool_use` blocks.
* Usage: `input_tokens`/`output_tokens` are ceil(chars / `chars_per_token`) of the request's
  tools (as JSON), system text and message blocks, and of the reply's text / tool input JSON;
  `usage=` on a scripted reply overrides any of the computed keys.
* Prompt caching: the prompt is tools, then system blocks, then message blocks, in order. A block
  with `cache_control` (or the last message block, given a top-level `cache_control`) ends a cache
  prefix. A prefix shorter than `min_cache_tokens` is not cached. The first request with a prefix
  reports it as `cache_creation_input_tokens` (split by TTL in `cache_creation`), later requests
  with an identical prefix (same model; for prefixes reaching into `messages`, also the same
  `tool_choice` and `thinking`) report it as `cache_read_input_tokens`, and only the rest as
  `input_tokens`. Like the API, each breakpoint also looks back up to 20 blocks for an earlier
  cached prefix, and entries expire after their TTL (5m / 1h) unless read.
* `max_tokens` / `stop_sequences` are honoured: a longer scripted text is cut and reported with
  `stop_reason="max_tokens"` (or `"stop_sequence"`).
* Retryable errors (408, 409, 429, 5xx) get `retry-after-ms: 1` (see `fast_retry_ms`) unless the
  scripted reply sets `retry-after`/`retry-after-ms` itself, so SDK retries do not sleep.

Misuse of the script (nothing queued and no responder, a tool_use for a tool the request does
not offer, a reply that ignores a forced `tool_choice`, a tool input or structured output that does
not match its JSON schema, a responder that raises) is answered with a 500 `api_error` carrying
`x-should-retry: false` and is listed in `fake.problems`; leaving the `with` block with problems
still listed raises AssertionError (clear the list in a test that provokes one on purpose).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.support.loopback import LoopbackServer

DEFAULT_API_KEY = "test-key"
MESSAGES_PATH = "/v1/messages"
MAX_CACHE_BREAKPOINTS = 4
CACHE_LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}

# Top-level fields of a Messages request (anthropic SDK 2.x `MessageCreateParams`, plus the
# sampling parameters older clients send). Anything else is "Extra inputs are not permitted".
KNOWN_FIELDS = frozenset({
    "model", "max_tokens", "messages", "system", "tools", "tool_choice", "stream",
    "stop_sequences", "metadata", "thinking", "output_config", "service_tier", "speed",
    "cache_control", "container", "diagnostics", "inference_geo", "context_management",
    "mcp_servers", "temperature", "top_p", "top_k",
})
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RETRYABLE = (408, 409, 429)
_PHRASES = {529: "Overloaded"}


def _object_id(prefix: str) -> str:
    """IDs shaped like the API's: msg_01..., toolu_01..., req_01... (24 base62 characters)."""
    return prefix + "01" + "".join(secrets.choice(_BASE62) for _ in range(22))


# -- scripted replies ----------------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer. Build it with text(), json_text(), tool_use(), error() or raw()."""

    status: int = 200
    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None  # None: derived (tool_use / end_turn / max_tokens / stop_sequence)
    stop_sequence: str | None = None
    usage: dict[str, Any] | None = None  # keys given here replace the computed ones
    headers: dict[str, str] = field(default_factory=dict)
    error_type: str | None = None
    message: str | None = None
    delay: float = 0.0  # seconds to wait before answering
    model: str | None = None  # None: echo the request's model
    check: bool = True  # False: skip the tool / tool_choice / schema checks for this reply
    raw_body: bytes | None = None  # sent verbatim (raw())
    content_type: str = "application/json"

    @property
    def is_error(self) -> bool:
        return self.status >= 400


def text(text: str, *, usage: dict[str, Any] | None = None, stop_reason: str | None = None,
         delay: float = 0.0, headers: dict[str, str] | None = None, model: str | None = None,
         check: bool = True) -> Reply:
    """A reply with one text block (stop_reason end_turn unless cut by max_tokens)."""
    return Reply(content=[{"type": "text", "text": text}], usage=usage, stop_reason=stop_reason,
                 delay=delay, headers=dict(headers or {}), model=model, check=check)


def json_text(value: Any, **kwargs: Any) -> Reply:
    """A text reply holding `value` as JSON: what structured outputs (output_config.format) return."""
    return text(json.dumps(value), **kwargs)


def tool_use(name: str, input: dict[str, Any], *, id: str | None = None, preamble: str | None = None,
             usage: dict[str, Any] | None = None, stop_reason: str | None = None, delay: float = 0.0,
             headers: dict[str, str] | None = None, model: str | None = None,
             check: bool = True) -> Reply:
    """A reply with one tool_use block (after an optional text block), stop_reason tool_use."""
    content: list[dict[str, Any]] = []
    if preamble:
        content.append({"type": "text", "text": preamble})
    content.append({"type": "tool_use", "id": id or _object_id("toolu_"), "name": name,
                    "input": copy.deepcopy(input)})
    return Reply(content=content, usage=usage, stop_reason=stop_reason, delay=delay,
                 headers=dict(headers or {}), model=model, check=check)


def error(status: int, error_type: str, message: str, *, headers: dict[str, str] | None = None,
          delay: float = 0.0) -> Reply:
    """An API error: e.g. error(529, "overloaded_error", "Overloaded"),
    error(429, "rate_limit_error", "...", headers={"retry-after": "7"})."""
    return Reply(status=status, error_type=error_type, message=message,
                 headers=dict(headers or {}), delay=delay)


def raw(status: int, body: bytes | str | dict[str, Any], *, headers: dict[str, str] | None = None,
        content_type: str = "application/json", delay: float = 0.0) -> Reply:
    """Anything at all, sent as is (a dict is sent as JSON): for malformed-response tests."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return Reply(status=status, raw_body=body, headers=dict(headers or {}),
                 content_type=content_type, delay=delay)


Responder = Callable[[dict[str, Any]], "Reply | str | dict[str, Any] | None"]


# -- helpers for responders ----------------------------------------------------------------------


def block_text(content: Any) -> str:
    """The text of a message's content (a string, or the text of its text/tool_result blocks)."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            parts.append(block_text(block.get("content", "")))
    return "\n".join(parts)


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the request's last user message."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return block_text(message.get("content"))
    return ""


def system_text(body: dict[str, Any]) -> str:
    system = body.get("system")
    return system if isinstance(system, str) else block_text(system)


def forced_tool(body: dict[str, Any]) -> str | None:
    """The tool name a request forces with tool_choice {"type": "tool", "name": ...}, if any."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        return choice.get("name")
    return None


# -- what was asked ------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # names lower-cased
    raw: bytes
    body: Any  # the parsed JSON body; None when absent or not JSON
    status: int | None = None  # what the fake answered
    response: Any = None  # the JSON it sent (a dict), or the SSE text of a stream
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def retry_count(self) -> int | None:
        """x-stainless-retry-count: 0 on a first attempt, 1 on the first retry..."""
        value = self.headers.get("x-stainless-retry-count")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def api_key(self) -> str | None:
        return _api_key(self.headers)

    @property
    def usage(self) -> dict[str, Any] | None:
        return self.response.get("usage") if isinstance(self.response, dict) else None


def _api_key(headers: dict[str, str]) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


class _ApiError(Exception):
    def __init__(self, status: int, error_type: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message
        self.headers = dict(headers or {})


def _invalid(message: str) -> _ApiError:
    return _ApiError(400, "invalid_request_error", message)


# -- the server ----------------------------------------------------------------------------------


@dataclass
class _Segment:
    """One block of the prompt, in prompt order, as the cache sees it."""

    section: str  # "tools" | "system" | "messages"
    material: str  # canonical JSON of the block without cache_control
    tokens: int
    cache_control: dict[str, Any] | None


class FakeAnthropic(LoopbackServer):
    """Threaded HTTP server on 127.0.0.1 (ephemeral port) speaking the Messages API wire format."""

    thread_name = "fake-anthropic"
    poll_interval = 0.02  # quick shutdown: one is started per test

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        min_cache_tokens: int = 1024,
        chars_per_token: int = 4,
        fast_retry_ms: float | None = 1,
        strict_alternation: bool = True,
        check_script: bool = True,
        known_models: set[str] | None = None,
        responder: Responder | None = None,
    ) -> None:
        self.api_key = api_key
        self.min_cache_tokens = min_cache_tokens
        self.chars_per_token = chars_per_token
        self.fast_retry_ms = fast_retry_ms
        self.strict_alternation = strict_alternation
        self.check_script = check_script
        self.known_models = known_models
        self.responder: Responder | None = responder
        self.requests: list[RecordedRequest] = []
        self.problems: list[str] = []
        self.max_in_flight = 0
        self._queue: deque[Reply] = deque()
        self._cache: dict[str, float] = {}  # prefix hash -> expiry (time.monotonic())
        self._in_flight = 0
        self._lock = threading.RLock()

    # -- lifecycle ---------------------------------------------------------------------------

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is None and self.problems:
            raise AssertionError("FakeAnthropic script problems:\n  " + "\n  ".join(self.problems))

    @property
    def base_url(self) -> str:
        """Give this to anthropic.Anthropic(base_url=...)."""
        return f"http://127.0.0.1:{self.port}"

    # -- the script --------------------------------------------------------------------------

    def push(self, *replies: Reply) -> None:
        """Queue replies, answered in order (first in, first out) before the responder is asked."""
        with self._lock:
            self._queue.extend(replies)

    def push_text(self, text_: str, **kwargs: Any) -> None:
        self.push(text(text_, **kwargs))

    def push_json(self, value: Any, **kwargs: Any) -> None:
        self.push(json_text(value, **kwargs))

    def push_tool_use(self, name: str, input: dict[str, Any], **kwargs: Any) -> None:
        self.push(tool_use(name, input, **kwargs))

    def push_error(self, status: int, error_type: str, message: str,
                   headers: dict[str, str] | None = None, **kwargs: Any) -> None:
        self.push(error(status, error_type, message, headers=headers, **kwargs))

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Forget the queue, the responder, recorded requests, problems and the prompt cache."""
        with self._lock:
            self._queue.clear()
            self.responder = None
            self.requests.clear()
            self.problems.clear()
            self._cache.clear()
            self.max_in_flight = 0

    def clear_cache(self) -> None:
        """Expire every prompt-cache entry (as if the TTL had run out)."""
        with self._lock:
            self._cache.clear()

    @property
    def message_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == MESSAGES_PATH]

    def count_tokens(self, text_: str) -> int:
        """The fake's tokenizer: ceil(len / chars_per_token)."""
        return math.ceil(len(text_) / self.chars_per_token) if text_ else 0

    # -- answering ---------------------------------------------------------------------------

    def _begin(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _answer(self, record: RecordedRequest) -> tuple[int, dict[str, str], bytes, Any]:
        """(status, headers, body bytes, body as recorded) for one request."""
        request_id = _object_id("req_")
        try:
            if record.path != MESSAGES_PATH or record.method != "POST":
                raise _ApiError(404, "not_found_error", "Not found")
            self._authenticate(record.headers)
            if not record.headers.get("anthropic-version"):
                raise _invalid("anthropic-version: header is required")
            body = record.body
            if body is None:
                raise _invalid("There was an issue with the format of the request body: not valid JSON")
            self._validate(body)
            if self.known_models is not None and body["model"] not in self.known_models:
                raise _ApiError(404, "not_found_error", f"model: {body['model']}")
            reply = self._next_reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.raw_body is not None:
                return self._finish(reply.status, {"content-type": reply.content_type,
                                                   **reply.headers},
                                    reply.raw_body, request_id, parsed=_loads(reply.raw_body))
            if reply.is_error:
                raise _ApiError(reply.status, reply.error_type or "api_error",
                                reply.message or "", reply.headers)
            message = self._message(body, reply)
            if body.get("stream"):
                sse = _sse(message, self.chars_per_token)
                return self._finish(200, {"content-type": "text/event-stream; charset=utf-8",
                                          "cache-control": "no-cache", **reply.headers},
                                    sse.encode(), request_id, parsed=sse)
            data = json.dumps(message).encode()
            return self._finish(200, {"content-type": "application/json", **reply.headers},
                                data, request_id, parsed=message)
        except _ApiError as err:
            payload = {"type": "error", "error": {"type": err.error_type, "message": err.message},
                       "request_id": request_id}
            headers = {"content-type": "application/json"}
            names = {k.lower() for k in err.headers}
            retryable = err.status in _RETRYABLE or err.status >= 500
            if (retryable and self.fast_retry_ms is not None
                    and not names & {"retry-after", "retry-after-ms", "x-should-retry"}):
                headers["retry-after-ms"] = _num(self.fast_retry_ms)
            headers.update(err.headers)
            return self._finish(err.status, headers, json.dumps(payload).encode(), request_id,
                                parsed=payload)

    def _finish(self, status: int, headers: dict[str, str], data: bytes, request_id: str,
                parsed: Any) -> tuple[int, dict[str, str], bytes, Any]:
        headers = {"request-id": request_id, "anthropic-organization-id": _ORG_ID, **headers}
        return status, headers, data, parsed

    def _problem(self, text_: str) -> _ApiError:
        with self._lock:
            self.problems.append(text_)
        return _ApiError(500, "api_error", "FakeAnthropic: " + text_, {"x-should-retry": "false"})

    def _authenticate(self, headers: dict[str, str]) -> None:
        if self.api_key is None:
            return
        key = _api_key(headers)
        if key is None:
            raise _ApiError(401, "authentication_error", "x-api-key header is required")
        if key != self.api_key:
            raise _ApiError(401, "authentication_error", "invalid x-api-key")

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
        if responder is None:
            raise self._problem("no scripted reply left and no responder set "
                                f"(request: {_brief(body)})")
        try:
            result = responder(body)
        except Exception as exc:  # noqa: BLE001 - reported as a problem, not swallowed
            raise self._problem(f"responder raised {exc!r}") from exc
        if isinstance(result, Reply):
            return result
        if isinstance(result, str):
            return text(result)
        if isinstance(result, dict) and result.get("type") == "message":
            return Reply(content=copy.deepcopy(result.get("content", [])),
                         stop_reason=result.get("stop_reason"),
                         stop_sequence=result.get("stop_sequence"), usage=result.get("usage"),
                         model=result.get("model"))
        raise self._problem(f"responder returned {result!r}; want a Reply, a str or a message dict")

    # -- validation (what the real API rejects with 400) --------------------------------------

    def _validate(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise _invalid("request body: Input should be a valid dictionary")
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                raise _invalid(f"{name}: Field required")
        extra = sorted(set(body) - KNOWN_FIELDS)
        if extra:
            raise _invalid(f"{extra[0]}: Extra inputs are not permitted")
        if not isinstance(body["model"], str) or not body["model"]:
            raise _invalid("model: Input should be a valid string")
        max_tokens = body["max_tokens"]
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            raise _invalid("max_tokens: Input should be a valid integer")
        if max_tokens < 0:
            raise _invalid("max_tokens: Input should be greater than or equal to 0")
        self._validate_system(body.get("system"))
        tool_names = self._validate_tools(body.get("tools"))
        self._validate_tool_choice(body.get("tool_choice"), tool_names)
        self._validate_messages(body["messages"])
        self._validate_cache_control(body)
        stops = body.get("stop_sequences")
        if stops is not None and (not isinstance(stops, list)
                                  or not all(isinstance(s, str) and s for s in stops)):
            raise _invalid("stop_sequences: Input should be a list of non-empty strings")
        output_config = body.get("output_config")
        if output_config is not None:
            fmt = output_config.get("format") if isinstance(output_config, dict) else None
            if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") != "json_schema"
                                    or not isinstance(fmt.get("schema"), dict)):
                raise _invalid("output_config.format: expected {\"type\": \"json_schema\", "
                               "\"schema\": {...}}")

    def _validate_system(self, system: Any) -> None:
        if system is None or isinstance(system, str):
            return
        if not isinstance(system, list):
            raise _invalid("system: Input should be a valid string or a list of text blocks")
        for j, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text":
                raise _invalid(f"system.{j}.type: Input should be 'text'")
            if not isinstance(block.get("text"), str):
                raise _invalid(f"system.{j}.text: Field required")
            if not block["text"]:
                raise _invalid("system: text content blocks must be non-empty")

    def _validate_tools(self, tools: Any) -> list[str]:
        if tools is None:
            return []
        if not isinstance(tools, list):
            raise _invalid("tools: Input should be a valid list")
        names: list[str] = []
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise _invalid(f"tools.{i}: Input should be a valid dictionary")
            name = tool.get("name")
            if not isinstance(name, str):
                raise _invalid(f"tools.{i}.name: Field required")
            if tool.get("type") in (None, "custom"):
                if not _TOOL_NAME.match(name):
                    raise _invalid(f"tools.{i}.name: String should match pattern "
                                   f"'{_TOOL_NAME.pattern}'")
                schema = tool.get("input_schema")
                if not isinstance(schema, dict):
                    raise _invalid(f"tools.{i}.custom.input_schema: Field required")
                if schema.get("type") != "object":
                    raise _invalid(f"tools.{i}.custom.input_schema.type: Input should be 'object'")
            if name in names:
                raise _invalid("tools: Tool names must be unique.")
            names.append(name)
        return names

    def _validate_tool_choice(self, choice: Any, tool_names: list[str]) -> None:
        if choice is None:
            return
        if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
            raise _invalid("tool_choice: Input tag does not match any of the expected tags: "
                           "'auto', 'any', 'tool', 'none'")
        if choice["type"] in ("any", "tool") and not tool_names:
            raise _invalid("tool_choice: tool_choice may only be specified while providing tools.")
        if choice["type"] == "tool":
            name = choice.get("name")
            if not isinstance(name, str):
                raise _invalid("tool_choice.tool.name: Field required")
            if name not in tool_names:
                raise _invalid(f"tool_choice: Tool '{name}' not found in tools "
                               f"(tools: {', '.join(tool_names)})")

    def _validate_messages(self, messages: Any) -> None:
        if not isinstance(messages, list):
            raise _invalid("messages: Input should be a valid list")
        if not messages:
            raise _invalid("messages: at least one message is required")
        previous_role: str | None = None
        pending_tool_uses: set[str] = set()
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                raise _invalid(f"messages.{i}: Input should be a valid dictionary")
            role = message.get("role")
            if role not in ("user", "assistant"):
                raise _invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
            if "content" not in message:
                raise _invalid(f"messages.{i}.content: Field required")
            content = message["content"]
            final_assistant = role == "assistant" and i == len(messages) - 1
            if isinstance(content, str):
                blocks: list[Any] = [{"type": "text", "text": content}] if content else []
            elif isinstance(content, list):
                blocks = content
            else:
                raise _invalid(f"messages.{i}.content: Input should be a valid string or list")
            if not blocks and not final_assistant:
                raise _invalid(f"messages.{i}: all messages must have non-empty content except "
                               "for the optional final assistant message")
            for j, block in enumerate(blocks):
                if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                    raise _invalid(f"messages.{i}.content.{j}.type: Field required")
                if block["type"] == "text" and not block.get("text"):
                    raise _invalid("messages: text content blocks must be non-empty")
            if self.strict_alternation:
                if i == 0 and role != "user":
                    raise _invalid('messages: first message must use the "user" role')
                if role == previous_role:
                    raise _invalid('messages: roles must alternate between "user" and "assistant", '
                                   f'but found multiple "{role}" roles in a row')
            # tool_use ids of an assistant turn must be answered by tool_result blocks right after
            results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
            if role == "user":
                unexpected = results - pending_tool_uses
                if unexpected:
                    raise _invalid(f"messages.{i}.content: unexpected `tool_use_id` found in "
                                   f"`tool_result` blocks: {', '.join(sorted(map(str, unexpected)))}. "
                                   "Each `tool_result` block must have a corresponding `tool_use` "
                                   "block in the previous message.")
                missing = pending_tool_uses - results
                if missing:
                    raise _invalid(f"messages.{i}: `tool_use` ids were found without `tool_result` "
                                   f"blocks immediately after: {', '.join(sorted(missing))}. Each "
                                   "`tool_use` block must have a corresponding `tool_result` block "
                                   "in the next message.")
                pending_tool_uses = set()
            else:
                pending_tool_uses = {str(b.get("id")) for b in blocks if b.get("type") == "tool_use"}
            previous_role = role

    def _validate_cache_control(self, body: dict[str, Any]) -> None:
        found: list[tuple[str, dict[str, Any]]] = []

        def visit(where: str, block: Any) -> None:
            if isinstance(block, dict) and block.get("cache_control") is not None:
                found.append((where, block["cache_control"]))

        for i, tool in enumerate(body.get("tools") or []):
            visit(f"tools.{i}", tool)
        if isinstance(body.get("system"), list):
            for j, block in enumerate(body["system"]):
                visit(f"system.{j}", block)
        for i, message in enumerate(body["messages"]):
            if isinstance(message.get("content"), list):
                for j, block in enumerate(message["content"]):
                    visit(f"messages.{i}.content.{j}", block)
        if body.get("cache_control") is not None:
            found.append(("cache_control", body["cache_control"]))
        for where, cc in found:
            if not isinstance(cc, dict) or cc.get("type") != "ephemeral":
                raise _invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
            if cc.get("ttl", "5m") not in TTL_SECONDS:
                raise _invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
        if len(found) > MAX_CACHE_BREAKPOINTS:
            raise _invalid(f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be "
                           f"provided. Found {len(found)}.")
        ttls = [cc.get("ttl", "5m") for where, cc in found if where != "cache_control"]
        if "5m" in ttls and "1h" in ttls[ttls.index("5m"):]:
            raise _invalid("a ttl='1h' cache_control block must not come after a ttl='5m' "
                           "cache_control block")

    # -- the answer --------------------------------------------------------------------------

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = copy.deepcopy(reply.content)
        stop_reason, stop_sequence = reply.stop_reason, reply.stop_sequence
        output_tokens = max(1, sum(self._output_tokens(b) for b in content))
        max_tokens = body["max_tokens"]
        if stop_reason is None:
            stop_reason = "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
            stopped = _apply_stop_sequences(content, body.get("stop_sequences") or [])
            if stopped is not None:
                stop_reason, stop_sequence = "stop_sequence", stopped
                output_tokens = max(1, sum(self._output_tokens(b) for b in content))
            if max_tokens == 0:
                content, output_tokens, stop_reason = [], 0, "max_tokens"
            elif output_tokens > max_tokens:
                content = self._truncate(content, max_tokens)
                output_tokens, stop_reason, stop_sequence = max_tokens, "max_tokens", None
        if reply.check and self.check_script and stop_reason != "max_tokens":
            self._check_reply(body, content)
        usage = self._input_usage(body)
        usage["output_tokens"] = output_tokens
        usage["service_tier"] = "standard"
        if reply.usage:
            usage.update(copy.deepcopy(reply.usage))
        return {
            "id": _object_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": reply.model or body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": usage,
        }

    def _output_tokens(self, block: dict[str, Any]) -> int:
        if block.get("type") == "text":
            return self.count_tokens(block.get("text", ""))
        if block.get("type") == "tool_use":
            return self.count_tokens(json.dumps(block.get("input", {})))
        return self.count_tokens(json.dumps(block))

    def _truncate(self, content: list[dict[str, Any]], max_tokens: int) -> list[dict[str, Any]]:
        """Keep what fits in max_tokens: text is cut; a tool_use that does not fit is kept whole
        (the real API returns whatever partial input it had; check stop_reason)."""
        budget = max_tokens * self.chars_per_token
        kept: list[dict[str, Any]] = []
        for block in content:
            if budget <= 0:
                break
            if block.get("type") == "text":
                cut = block["text"][:budget]
                budget -= len(cut)
                if cut:
                    kept.append({**block, "text": cut})
            else:
                budget -= len(json.dumps(block.get("input", block)))
                kept.append(block)
        return kept

    def _check_reply(self, body: dict[str, Any], content: list[dict[str, Any]]) -> None:
        tools = {t.get("name"): t for t in body.get("tools") or [] if isinstance(t, dict)}
        uses = [b for b in content if b.get("type") == "tool_use"]
        for use in uses:
            tool = tools.get(use.get("name"))
            if tool is None:
                raise self._problem(f"scripted tool_use {use.get('name')!r} but the request offers "
                                    f"tools {sorted(map(str, tools))}")
            if "input_schema" in tool:
                problem = _schema_problem(use.get("input"), tool["input_schema"])
                if problem:
                    raise self._problem(f"scripted input for tool {use.get('name')!r} does not "
                                        f"match its input_schema: {problem}")
        choice = body.get("tool_choice") or {}
        if choice.get("type") == "tool" and not any(u.get("name") == choice.get("name") for u in uses):
            raise self._problem(f"the request forces tool {choice.get('name')!r} but the scripted "
                                "reply does not use it")
        if choice.get("type") == "any" and not uses:
            raise self._problem("the request has tool_choice any but the scripted reply uses no tool")
        if choice.get("type") == "none" and uses:
            raise self._problem("the request has tool_choice none but the scripted reply uses a tool")
        fmt = (body.get("output_config") or {}).get("format")
        if fmt and not uses:
            answer = "".join(b.get("text", "") for b in content if b.get("type") == "text")
            try:
                value = json.loads(answer)
            except ValueError:
                raise self._problem("the request asks for structured output (output_config.format) "
                                    f"but the scripted text is not JSON: {answer[:80]!r}") from None
            problem = _schema_problem(value, fmt["schema"])
            if problem:
                raise self._problem(f"scripted structured output does not match the schema: {problem}")

    # -- tokens and the prompt cache ----------------------------------------------------------

    def _segments(self, body: dict[str, Any]) -> list[_Segment]:
        segments: list[_Segment] = []
        for tool in body.get("tools") or []:
            material = _canonical(_without_cc(tool))
            segments.append(_Segment("tools", material, self.count_tokens(material),
                                     tool.get("cache_control")))
        system = body.get("system")
        if isinstance(system, str) and system:
            segments.append(_Segment("system", _canonical({"type": "text", "text": system}),
                                     self.count_tokens(system), None))
        elif isinstance(system, list):
            for block in system:
                segments.append(_Segment("system", _canonical(_without_cc(block)),
                                         self.count_tokens(block.get("text", "")),
                                         block.get("cache_control")))
        for message in body["messages"]:
            content = message["content"]
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            for j, block in enumerate(blocks):
                material = _canonical([message["role"], j == 0, _without_cc(block)])
                segments.append(_Segment("messages", material, self._input_block_tokens(block),
                                         block.get("cache_control")))
        top = body.get("cache_control")
        if top is not None:
            for segment in reversed(segments):
                if segment.section == "messages":
                    if segment.cache_control is None:
                        segment.cache_control = top
                    break
        return segments

    def _input_block_tokens(self, block: dict[str, Any]) -> int:
        kind = block.get("type")
        if kind == "text":
            return self.count_tokens(block.get("text", ""))
        if kind == "tool_result":
            inner = block.get("content", "")
            return 1 + self.count_tokens(inner if isinstance(inner, str) else block_text(inner))
        if kind == "tool_use":
            return self.count_tokens(block.get("name", "") + json.dumps(block.get("input", {})))
        if kind in ("image", "document"):
            return 1500  # a flat guess: images are not billed by their base64 length
        return self.count_tokens(_canonical(block))

    def _input_usage(self, body: dict[str, Any]) -> dict[str, Any]:
        segments = self._segments(body)
        cumulative: list[int] = []
        hashes: list[str] = []
        digest = hashlib.sha256(("model:" + body["model"]).encode()).hexdigest()
        total = 0
        in_messages = False
        for segment in segments:
            if segment.section == "messages" and not in_messages:
                in_messages = True  # tool_choice / thinking changes invalidate the messages cache
                digest = _chain(digest, _canonical([body.get("tool_choice"), body.get("thinking")]))
            digest = _chain(digest, segment.material)
            total += segment.tokens
            cumulative.append(total)
            hashes.append(digest)
        breakpoints = [i for i, s in enumerate(segments) if s.cache_control is not None]
        eligible = [i for i in breakpoints if cumulative[i] >= self.min_cache_tokens]
        now = time.monotonic()
        by_ttl = {"5m": 0, "1h": 0}
        with self._lock:
            for key in [k for k, expiry in self._cache.items() if expiry <= now]:
                del self._cache[key]
            hit = -1
            for bp in breakpoints:
                for k in range(bp, max(-1, bp - CACHE_LOOKBACK_BLOCKS), -1):
                    if hashes[k] in self._cache:
                        hit = max(hit, k)
                        break
            read = cumulative[hit] if hit >= 0 else 0
            if hit >= 0:  # a read refreshes the entry
                self._cache[hashes[hit]] = max(self._cache[hashes[hit]], now + TTL_SECONDS["5m"])
            start = read
            for bp in eligible:
                ttl = segments[bp].cache_control.get("ttl", "5m")
                if bp > hit:
                    by_ttl[ttl] += cumulative[bp] - start
                    start = cumulative[bp]
                self._cache[hashes[bp]] = max(self._cache.get(hashes[bp], 0.0),
                                              now + TTL_SECONDS[ttl])
        created = by_ttl["5m"] + by_ttl["1h"]
        return {
            "input_tokens": total - read - created,
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": by_ttl["5m"],
                               "ephemeral_1h_input_tokens": by_ttl["1h"]},
        }


_ORG_ID = str(uuid.uuid4())


def _chain(digest: str, material: str) -> str:
    return hashlib.sha256((digest + "\x00" + material).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _without_cc(block: Any) -> Any:
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def _brief(body: dict[str, Any]) -> str:
    tools = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    return f"tools={tools}, tool_choice={body.get('tool_choice')}, last user text={last_user_text(body)[:60]!r}"


def _apply_stop_sequences(content: list[dict[str, Any]], stops: list[str]) -> str | None:
    """Cut the first text block holding a stop sequence; return the sequence that matched."""
    for index, block in enumerate(content):
        if block.get("type") != "text":
            continue
        hits = [(block["text"].find(s), s) for s in stops if s in block["text"]]
        if hits:
            position, sequence = min(hits)
            content[index] = {**block, "text": block["text"][:position]}
            del content[index + 1:]
            if not content[index]["text"]:
                del content[index]
            return sequence
    return None


def _schema_problem(value: Any, schema: dict[str, Any]) -> str | None:
    try:
        import jsonschema
    except ImportError:  # the test extra is not installed: skip the check
        return None
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        return exc.message
    except jsonschema.SchemaError as exc:
        return f"invalid schema: {exc.message}"
    return None


def _sse(message: dict[str, Any], chars_per_token: int) -> str:
    """The message as the server-sent events of a streamed response."""
    events: list[tuple[str, dict[str, Any]]] = []
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {**usage, "output_tokens": 1}}
    events.append(("message_start", {"type": "message_start", "message": start}))
    events.append(("ping", {"type": "ping"}))
    step = 4 * chars_per_token
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            for i in range(0, len(block["text"]), step):
                events.append(("content_block_delta", {
                    "type": "content_block_delta", "index": index,
                    "delta": {"type": "text_delta", "text": block["text"][i:i + step]}}))
        elif block["type"] == "tool_use":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {**block, "input": {}}}))
            partial = json.dumps(block["input"])
            for i in range(0, len(partial), step):
                events.append(("content_block_delta", {
                    "type": "content_block_delta", "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": partial[i:i + step]}}))
        else:
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": block}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta_usage = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens",
                                         "cache_read_input_tokens", "output_tokens") if k in usage}
    events.append(("message_delta", {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
        "usage": delta_usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def log_error(self, format: str, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        self._handle()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _handle(self, head: bool = False) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body: Any = None
        if data:
            try:
                body = json.loads(data)
            except ValueError:
                body = None
        record = RecordedRequest(self.command, parts.path, parts.query, headers, data, body)
        fake = self.fake
        fake._begin(record)
        try:
            status, out_headers, payload, parsed = fake._answer(record)
        finally:
            fake._end()
        record.status, record.response, record.response_headers = status, parsed, out_headers
        try:
            phrase = _PHRASES.get(status) or HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        self.send_response(status, phrase)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not head:
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass


FakeAnthropic.handler = _Handler  # defined after the server it serves
