"""The script: scripted replies (Reply and its builders), the responder that makes them up on the
fly, and helpers a responder uses to read the request it answers."""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def object_id(prefix: str) -> str:
    """IDs shaped like the API's: msg_01..., toolu_01..., req_01... (24 base62 characters)."""
    return prefix + "01" + "".join(secrets.choice(_BASE62) for _ in range(22))


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


def text(
    text: str,
    *,
    usage: dict[str, Any] | None = None,
    stop_reason: str | None = None,
    delay: float = 0.0,
    headers: dict[str, str] | None = None,
    model: str | None = None,
    check: bool = True,
) -> Reply:
    """A reply with one text block (stop_reason end_turn unless cut by max_tokens)."""
    return Reply(
        content=[{"type": "text", "text": text}],
        usage=usage,
        stop_reason=stop_reason,
        delay=delay,
        headers=dict(headers or {}),
        model=model,
        check=check,
    )


def json_text(value: Any, **kwargs: Any) -> Reply:
    """A text reply holding `value` as JSON: what structured outputs (output_config.format) return."""
    return text(json.dumps(value), **kwargs)


def tool_use(
    name: str,
    input: dict[str, Any],
    *,
    id: str | None = None,
    preamble: str | None = None,
    usage: dict[str, Any] | None = None,
    stop_reason: str | None = None,
    delay: float = 0.0,
    headers: dict[str, str] | None = None,
    model: str | None = None,
    check: bool = True,
) -> Reply:
    """A reply with one tool_use block (after an optional text block), stop_reason tool_use."""
    content: list[dict[str, Any]] = []
    if preamble:
        content.append({"type": "text", "text": preamble})
    content.append({"type": "tool_use", "id": id or object_id("toolu_"), "name": name, "input": copy.deepcopy(input)})
    return Reply(
        content=content,
        usage=usage,
        stop_reason=stop_reason,
        delay=delay,
        headers=dict(headers or {}),
        model=model,
        check=check,
    )


def error(
    status: int, error_type: str, message: str, *, headers: dict[str, str] | None = None, delay: float = 0.0
) -> Reply:
    """An API error: e.g. error(529, "overloaded_error", "Overloaded"),
    error(429, "rate_limit_error", "...", headers={"retry-after": "7"})."""
    return Reply(status=status, error_type=error_type, message=message, headers=dict(headers or {}), delay=delay)


def raw(
    status: int,
    body: bytes | str | dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
    delay: float = 0.0,
) -> Reply:
    """Anything at all, sent as is (a dict is sent as JSON): for malformed-response tests."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return Reply(status=status, raw_body=body, headers=dict(headers or {}), content_type=content_type, delay=delay)


Responder = Callable[[dict[str, Any]], "Reply | str | dict[str, Any] | None"]


def as_reply(result: Any) -> Reply | None:
    """What a responder returned, as a Reply: a str is a text reply, a message dict is copied;
    None for anything else (a script mistake the fake reports)."""
    if isinstance(result, Reply):
        return result
    if isinstance(result, str):
        return text(result)
    if isinstance(result, dict) and result.get("type") == "message":
        return Reply(
            content=copy.deepcopy(result.get("content", [])),
            stop_reason=result.get("stop_reason"),
            stop_sequence=result.get("stop_sequence"),
            usage=result.get("usage"),
            model=result.get("model"),
        )
    return None


# -- reading the request -----------------------------------------------------------------------


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


def forced_tool(body: dict[str, Any]) -> str | None:
    """The tool name a request forces with tool_choice {"type": "tool", "name": ...}, if any."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        return choice.get("name")
    return None
