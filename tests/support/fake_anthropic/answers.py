"""From a scripted Reply to what the API would have sent: stop sequences and max_tokens applied
to its content, output tokens counted, and the server-sent events of a streamed answer."""

from __future__ import annotations

import copy
import json
from typing import Any

from .caching import count_tokens
from .replies import Reply


def shape(
    body: dict[str, Any], reply: Reply, chars_per_token: int
) -> tuple[list[dict[str, Any]], str, str | None, int]:
    """(content, stop_reason, stop_sequence, output_tokens) of `reply` as an answer to `body`.

    A reply with its own stop_reason is sent as scripted; otherwise the request's stop_sequences
    and max_tokens cut it the way the real API would."""
    content = copy.deepcopy(reply.content)
    stop_reason, stop_sequence = reply.stop_reason, reply.stop_sequence
    output_tokens = max(1, sum(_output_tokens(b, chars_per_token) for b in content))
    max_tokens = body["max_tokens"]
    if stop_reason is None:
        stop_reason = "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
        stopped = _apply_stop_sequences(content, body.get("stop_sequences") or [])
        if stopped is not None:
            stop_reason, stop_sequence = "stop_sequence", stopped
            output_tokens = max(1, sum(_output_tokens(b, chars_per_token) for b in content))
        if max_tokens == 0:
            content, output_tokens, stop_reason = [], 0, "max_tokens"
        elif output_tokens > max_tokens:
            content = _truncate(content, max_tokens, chars_per_token)
            output_tokens, stop_reason, stop_sequence = max_tokens, "max_tokens", None
    return content, stop_reason, stop_sequence, output_tokens


def _output_tokens(block: dict[str, Any], chars_per_token: int) -> int:
    if block.get("type") == "text":
        return count_tokens(block.get("text", ""), chars_per_token)
    if block.get("type") == "tool_use":
        return count_tokens(json.dumps(block.get("input", {})), chars_per_token)
    return count_tokens(json.dumps(block), chars_per_token)


def _truncate(content: list[dict[str, Any]], max_tokens: int, chars_per_token: int) -> list[dict[str, Any]]:
    """Keep what fits in max_tokens: text is cut; a tool_use that does not fit is kept whole
    (the real API returns whatever partial input it had; check stop_reason)."""
    budget = max_tokens * chars_per_token
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


def _apply_stop_sequences(content: list[dict[str, Any]], stops: list[str]) -> str | None:
    """Cut the first text block holding a stop sequence; return the sequence that matched."""
    for index, block in enumerate(content):
        if block.get("type") != "text":
            continue
        hits = [(block["text"].find(s), s) for s in stops if s in block["text"]]
        if hits:
            position, sequence = min(hits)
            content[index] = {**block, "text": block["text"][:position]}
            del content[index + 1 :]
            if not content[index]["text"]:
                del content[index]
            return sequence
    return None


def sse(message: dict[str, Any], chars_per_token: int) -> str:
    """The message as the server-sent events of a streamed response."""
    events: list[tuple[str, dict[str, Any]]] = []
    usage = message["usage"]
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events.append(("message_start", {"type": "message_start", "message": start}))
    events.append(("ping", {"type": "ping"}))
    step = 4 * chars_per_token
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
                )
            )
            for i in range(0, len(block["text"]), step):
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": block["text"][i : i + step]},
                        },
                    )
                )
        elif block["type"] == "tool_use":
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}},
                )
            )
            partial = json.dumps(block["input"])
            for i in range(0, len(partial), step):
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": partial[i : i + step]},
                        },
                    )
                )
        else:
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta_usage = {
        k: usage[k]
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
        if k in usage
    }
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
                "usage": delta_usage,
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
