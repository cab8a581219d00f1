"""A scripted Reply as the server sends it: a `chat.completion`, or the `chat.completion.chunk`
events of a stream (`data: {...}` lines, tool-call arguments in deltas, usage last, `[DONE]`)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

from tests.support.fake_anthropic.replies import object_id

from .replies import Reply


def count_tokens(text: str, chars_per_token: int) -> int:
    return math.ceil(len(text) / chars_per_token)


def prompt_tokens(body: dict[str, Any], chars_per_token: int) -> int:
    """What the request costs as the fake counts it: its messages, tools and response format."""
    parts = [json.dumps(body.get(k), ensure_ascii=False) for k in ("messages", "tools", "response_format") if k in body]
    return count_tokens("".join(parts), chars_per_token)


class Completion:
    """One reply made concrete for one request: its text or call cut at max_tokens, and its usage."""

    def __init__(self, body: dict[str, Any], reply: Reply, chars_per_token: int) -> None:
        self.body, self.reply = body, reply
        self.id = object_id("chatcmpl-")
        self.call_id = object_id("call_")
        self.created = int(time.time())
        self.model = body["model"]
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        out = reply.arguments if reply.tool_name else (reply.content or "")
        finish = reply.finish_reason or ("tool_calls" if reply.tool_name else "stop")
        if limit and count_tokens(out, chars_per_token) > limit:
            out, finish = out[: limit * chars_per_token], reply.finish_reason or "length"
        self.text, self.finish = out, finish
        self.usage = {
            "prompt_tokens": prompt_tokens(body, chars_per_token),
            "completion_tokens": count_tokens(out, chars_per_token),
        }
        self.usage["total_tokens"] = self.usage["prompt_tokens"] + self.usage["completion_tokens"]
        self.usage.update(reply.usage or {})

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None if self.reply.tool_name else self.text}
        if self.reply.tool_name:
            message["tool_calls"] = [
                {
                    "id": self.call_id,
                    "type": "function",
                    "function": {"name": self.reply.tool_name, "arguments": self.text},
                }
            ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": self.finish}],
            "usage": self.usage,
        }

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [choice],
        }
        return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"

    def chunks(self) -> Iterator[bytes]:
        """The stream, one event at a time; endless replies keep adding deltas after the text."""
        step = max(1, self.reply.chunk_chars)
        pieces = [self.text[i : i + step] for i in range(0, len(self.text), step)]
        if self.reply.tool_name:
            yield self._chunk({"role": "assistant", "content": None})
            head = {"index": 0, "id": self.call_id, "type": "function"}
            yield self._chunk({"tool_calls": [{**head, "function": {"name": self.reply.tool_name, "arguments": ""}}]})
            for piece in pieces:
                yield self._chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        else:
            yield self._chunk({"role": "assistant", "content": ""})
            while self.reply.keepalive:  # a gateway's pings: bytes that keep a read timeout at bay
                yield b": keep-alive\n\n"
            for piece in pieces:
                yield self._chunk({"content": piece})
        while self.reply.endless:
            yield self._chunk({"content": "and more "})
        yield self._chunk({}, self.finish)
        options = self.body.get("stream_options") or {}
        if options.get("include_usage") and self.reply.include_usage:
            chunk = {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": self.usage,
            }
            yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"
