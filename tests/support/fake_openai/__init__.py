"""A fake OpenAI-compatible server (the chat completions API that vLLM, Ollama, llama.cpp's server
and LM Studio speak): the real `openai` SDK talks to it over real HTTP.

    with FakeOpenAI(models=("llama3.1:8b",)) as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="unused", max_retries=1)
        fake.push(error(503, "busy", headers={"retry-after": "0"}))  # retried after 0 s...
        fake.push(tool_call("write_digest", {"hook": "..."}))        # ...and answered with this
        fake.chat_requests[-1].body["tools"], fake.chat_requests[-1].retry_count

        fake.responder = lambda body: structured(body, "write_digest", {...})

What it does, like the servers (as far as the SDK can tell):

* `POST /v1/chat/completions` and `GET /v1/models`; any other path is a plain-text 404, as Ollama
  and most gateways answer a base URL without `/v1`.
* Answers are `chat.completion` JSON, or for `"stream": true` server-sent events: `data:` chunks of
  `chat.completion.chunk` (the role, content deltas or tool-call argument deltas, the finish
  reason, usage when `stream_options.include_usage` asks) and `data: [DONE]`, sent chunked and paced.
* Auth: `api_key=None` (the default) takes any key or none, as self-hosted servers do; a key set
  makes any other `Authorization: Bearer` a 401.
* Validation: malformed messages, tools, `tool_choice` naming no offered tool, `response_format`
  without a name or schema are 400s; a model not in `models` is Ollama's 404.
* `rejects={"tools"}` / `{"response_format"}` with a `flavour` (ollama, llama.cpp, vllm, fastapi):
  the feature is refused in that server's words and shape (see validation.REFUSALS).
* `max_tokens` / `max_completion_tokens` are honoured: longer output is cut, finish_reason `length`.
  Usage counts characters / `chars_per_token`.
* Hostile servers: `delay=` stalls before answering, `stall_after=` goes silent mid-stream,
  `endless=True` streams for ever, `raw()` sends anything (an HTML page); stop() ends them all.
* Retryable errors (408, 409, 429, 5xx) get `retry-after-ms: 1` unless the reply sets its own.

Modules: `replies` (the script: Reply, its builders, responder helpers), `validation` (what is
refused, in whose words), `wire` (a reply as the server sends it), `handler` (HTTP), `server` (FakeOpenAI).

Misuse of the script (nothing queued and no responder, a call of a function the request did not
offer, a responder that raises) is a 500 and listed in `fake.problems`; leaving the `with` block
with problems listed raises AssertionError.
"""

from .replies import (
    Reply,
    Responder,
    content,
    error,
    json_content,
    message_text,
    raw,
    structured,
    tool_call,
    user_text,
    wanted,
)
from .server import CHAT_PATH, MODELS_PATH, FakeOpenAI

__all__ = [
    "CHAT_PATH",
    "MODELS_PATH",
    "FakeOpenAI",
    "Reply",
    "Responder",
    "content",
    "error",
    "json_content",
    "message_text",
    "raw",
    "structured",
    "tool_call",
    "user_text",
    "wanted",
]
