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

Modules: `replies` (the script: Reply, its builders, responder helpers), `validation` (what is
refused), `caching` (tokens and the prompt cache), `answers` (a reply as the API would send it),
`handler` (HTTP and RecordedRequest), `server` (FakeAnthropic).
"""

from .caching import CACHE_LOOKBACK_BLOCKS, TTL_SECONDS
from .handler import RecordedRequest
from .replies import (
    Reply,
    Responder,
    block_text,
    error,
    forced_tool,
    json_text,
    last_user_text,
    raw,
    text,
    tool_use,
)
from .server import DEFAULT_API_KEY, MESSAGES_PATH, FakeAnthropic
from .validation import KNOWN_FIELDS, MAX_CACHE_BREAKPOINTS

__all__ = [
    "CACHE_LOOKBACK_BLOCKS",
    "DEFAULT_API_KEY",
    "KNOWN_FIELDS",
    "MAX_CACHE_BREAKPOINTS",
    "MESSAGES_PATH",
    "TTL_SECONDS",
    "FakeAnthropic",
    "RecordedRequest",
    "Reply",
    "Responder",
    "block_text",
    "error",
    "forced_tool",
    "json_text",
    "last_user_text",
    "raw",
    "text",
    "tool_use",
]
