"""FakeOpenAI: the server object tests hold. It keeps the script and what was asked, and answers
each request over real HTTP: auth, validation, refusals of unsupported features, the next scripted
reply as a completion, a stream (chunked, paced, stalled or endless) or an error."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from tests.support.fake_anthropic.handler import RecordedRequest, key_from_headers
from tests.support.loopback import LoopbackServer

from .handler import _Handler
from .replies import Reply, Responder, as_reply, error
from .validation import Refused, refusal, validate
from .wire import Completion

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
_RETRYABLE = (408, 409, 429)  # and 5xx: what the SDK retries


class FakeOpenAI(LoopbackServer):
    """Threaded HTTP server on 127.0.0.1 (ephemeral port) speaking the chat completions wire format."""

    handler = _Handler
    handler_attribute = "fake"
    thread_name = "fake-openai"
    poll_interval = 0.02

    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: tuple[str, ...] = ("llama3.1:8b",),
        rejects: set[str] | None = None,
        flavour: str = "openai",
        chars_per_token: int = 4,
        fast_retry_ms: float | None = 1,
        responder: Responder | None = None,
    ) -> None:
        self.api_key = api_key  # None: any key or none at all, as self-hosted servers take
        self.models = models
        self.rejects = set(rejects or ())  # "tools", "response_format": features this server lacks
        self.flavour = flavour  # openai, ollama, llama.cpp, vllm, fastapi: whose words refusals use
        self.chars_per_token = chars_per_token
        self.fast_retry_ms = fast_retry_ms
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self.problems: list[str] = []
        self.max_in_flight = 0
        self.closing = threading.Event()  # ends stalls and endless streams when the test is over
        self._queue: deque[Reply] = deque()
        self._in_flight = 0
        self._lock = threading.RLock()

    def stop(self) -> None:
        self.closing.set()
        super().stop()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.stop()
        if exc_type is None and self.problems:
            raise AssertionError("FakeOpenAI script problems:\n  " + "\n  ".join(self.problems))

    @property
    def base_url(self) -> str:
        """Give this to openai.OpenAI(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- the script --------------------------------------------------------------------------

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == CHAT_PATH]

    # -- answering ---------------------------------------------------------------------------

    def _answer(self, record: RecordedRequest) -> tuple[int, dict[str, str], bytes | Iterator[bytes]]:
        try:
            if record.method == "GET" and record.path == MODELS_PATH:
                self._authenticate(record.headers)
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
                return _json(200, {"object": "list", "data": data})
            if record.method != "POST" or record.path != CHAT_PATH:
                # What Ollama, Go's mux and most gateways say to a path they do not serve.
                return 404, {"content-type": "text/plain; charset=utf-8"}, b"404 page not found"
            self._authenticate(record.headers)
            body = record.body
            validate(body, self.flavour)
            refused = refusal(body, self.rejects, self.flavour)
            if refused:
                raise refused
            if body["model"] not in self.models:
                raise Refused(error(404, f'model "{body["model"]}" not found, try pulling it first'))
            reply = self._next_reply(body)
        except Refused as refused:
            reply = refused.reply
        if reply.delay and self.closing.wait(reply.delay):
            return 503, {}, b""
        headers = {"content-type": reply.content_type, **reply.headers}
        if reply.raw_body is not None:
            return reply.status, headers, reply.raw_body
        if reply.is_error:
            retryable = reply.status in _RETRYABLE or reply.status >= 500
            names = {k.lower() for k in reply.headers}
            if retryable and self.fast_retry_ms is not None and not names & {"retry-after", "retry-after-ms"}:
                headers["retry-after-ms"] = str(self.fast_retry_ms)
            return reply.status, headers, json.dumps(reply.error_body).encode()
        completion = Completion(body, reply, self.chars_per_token)
        if body.get("stream"):
            stream_headers = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
            return 200, {**stream_headers, **reply.headers}, self._paced(completion, reply)
        return 200, headers, json.dumps(completion.message(), ensure_ascii=False).encode()

    def _paced(self, completion: Completion, reply: Reply) -> Iterator[bytes]:
        for n, chunk in enumerate(completion.chunks()):
            if reply.stall_after is not None and n >= reply.stall_after:
                self.closing.wait()
                return
            if self.closing.is_set() or (reply.chunk_delay and self.closing.wait(reply.chunk_delay)):
                return
            yield chunk

    def _authenticate(self, headers: dict[str, str]) -> None:
        if self.api_key is not None and key_from_headers(headers) != self.api_key:
            raise Refused(error(401, "Incorrect API key provided."))

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                reply = self._queue.popleft()
                return self._checked(body, reply)
            responder = self.responder
        if responder is None:
            return self._problem("no scripted reply left and no responder set")
        try:
            reply = as_reply(responder(body))
        except Exception as exc:  # noqa: BLE001 - reported as a problem, not swallowed
            return self._problem(f"responder raised {exc!r}")
        if reply is None:
            return self._problem("responder returned something that is not a reply")
        return self._checked(body, reply)

    def _checked(self, body: dict[str, Any], reply: Reply) -> Reply:
        """A call of a function the request did not offer is a mistake in the test's script."""
        if reply.tool_name:
            offered = [(t.get("function") or {}).get("name") for t in body.get("tools") or []]
            if reply.tool_name not in offered:
                return self._problem(f"scripted a call of {reply.tool_name!r}; the request offered {offered}")
        return reply

    def _problem(self, text: str) -> Reply:
        with self._lock:
            self.problems.append(text)
        return Reply(
            status=500, error_body={"error": {"message": "FakeOpenAI: " + text}}, headers={"x-should-retry": "false"}
        )

    def _begin(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _json(status: int, value: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(value).encode()
