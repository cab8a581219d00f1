"""FakeAnthropic: the server object tests hold. It keeps the script and what was asked, and answers
each request: auth, validation, the next scripted reply, the message (or stream) or error."""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections import deque
from typing import Any

from tests.support.loopback import LoopbackServer

from .answers import shape, sse
from .caching import PromptCache, count_tokens
from .handler import RecordedRequest, _Handler, key_from_headers
from .replies import Reply, Responder, as_reply, error, json_text, last_user_text, object_id, text, tool_use
from .validation import ApiError, invalid, script_problem, validate

DEFAULT_API_KEY = "test-key"
MESSAGES_PATH = "/v1/messages"

_RETRYABLE = (408, 409, 429)  # and 5xx: what the SDK retries
_ORG_ID = str(uuid.uuid4())


class FakeAnthropic(LoopbackServer):
    """Threaded HTTP server on 127.0.0.1 (ephemeral port) speaking the Messages API wire format."""

    handler = _Handler
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
        self._cache = PromptCache()
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

    def push_error(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
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
        self._cache.clear()

    @property
    def message_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == MESSAGES_PATH]

    def count_tokens(self, text_: str) -> int:
        """The fake's tokenizer: ceil(len / chars_per_token)."""
        return count_tokens(text_, self.chars_per_token)

    # -- answering (called by the handler) ---------------------------------------------------

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
        request_id = object_id("req_")
        try:
            if record.path != MESSAGES_PATH or record.method != "POST":
                raise ApiError(404, "not_found_error", "Not found")
            self._authenticate(record.headers)
            if not record.headers.get("anthropic-version"):
                raise invalid("anthropic-version: header is required")
            body = record.body
            if body is None:
                raise invalid("There was an issue with the format of the request body: not valid JSON")
            validate(body, strict_alternation=self.strict_alternation)
            if self.known_models is not None and body["model"] not in self.known_models:
                raise ApiError(404, "not_found_error", f"model: {body['model']}")
            reply = self._next_reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.raw_body is not None:
                return self._finish(
                    reply.status,
                    {"content-type": reply.content_type, **reply.headers},
                    reply.raw_body,
                    request_id,
                    parsed=_loads(reply.raw_body),
                )
            if reply.is_error:
                raise ApiError(reply.status, reply.error_type or "api_error", reply.message or "", reply.headers)
            message = self._message(body, reply)
            if body.get("stream"):
                stream = sse(message, self.chars_per_token)
                return self._finish(
                    200,
                    {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", **reply.headers},
                    stream.encode(),
                    request_id,
                    parsed=stream,
                )
            data = json.dumps(message).encode()
            return self._finish(
                200, {"content-type": "application/json", **reply.headers}, data, request_id, parsed=message
            )
        except ApiError as err:
            payload = {
                "type": "error",
                "error": {"type": err.error_type, "message": err.message},
                "request_id": request_id,
            }
            headers = {"content-type": "application/json"}
            names = {k.lower() for k in err.headers}
            retryable = err.status in _RETRYABLE or err.status >= 500
            if (
                retryable
                and self.fast_retry_ms is not None
                and not names & {"retry-after", "retry-after-ms", "x-should-retry"}
            ):
                headers["retry-after-ms"] = _num(self.fast_retry_ms)
            headers.update(err.headers)
            return self._finish(err.status, headers, json.dumps(payload).encode(), request_id, parsed=payload)

    def _finish(
        self, status: int, headers: dict[str, str], data: bytes, request_id: str, parsed: Any
    ) -> tuple[int, dict[str, str], bytes, Any]:
        headers = {"request-id": request_id, "anthropic-organization-id": _ORG_ID, **headers}
        return status, headers, data, parsed

    def _problem(self, text_: str) -> ApiError:
        with self._lock:
            self.problems.append(text_)
        return ApiError(500, "api_error", "FakeAnthropic: " + text_, {"x-should-retry": "false"})

    def _authenticate(self, headers: dict[str, str]) -> None:
        if self.api_key is None:
            return
        key = key_from_headers(headers)
        if key is None:
            raise ApiError(401, "authentication_error", "x-api-key header is required")
        if key != self.api_key:
            raise ApiError(401, "authentication_error", "invalid x-api-key")

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
        if responder is None:
            raise self._problem(f"no scripted reply left and no responder set (request: {_brief(body)})")
        try:
            result = responder(body)
        except Exception as exc:  # noqa: BLE001 - reported as a problem, not swallowed
            raise self._problem(f"responder raised {exc!r}") from exc
        reply = as_reply(result)
        if reply is None:
            raise self._problem(f"responder returned {result!r}; want a Reply, a str or a message dict")
        return reply

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content, stop_reason, stop_sequence, output_tokens = shape(body, reply, self.chars_per_token)
        if reply.check and self.check_script and stop_reason != "max_tokens":
            problem = script_problem(body, content)
            if problem:  # before the usage below, so a refused reply caches nothing
                raise self._problem(problem)
        usage = self._cache.usage(body, chars_per_token=self.chars_per_token, min_cache_tokens=self.min_cache_tokens)
        usage["output_tokens"] = output_tokens
        usage["service_tier"] = "standard"
        if reply.usage:
            usage.update(copy.deepcopy(reply.usage))
        return {
            "id": object_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": reply.model or body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": usage,
        }


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
