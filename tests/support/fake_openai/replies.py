"""The script of FakeOpenAI: scripted replies (Reply and its builders), and helpers a responder uses
to read the request it answers and to reply in whatever form that request asked for."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One scripted answer. Build it with content(), json_content(), tool_call(), error() or raw()."""

    status: int = 200
    content: str | None = None  # the assistant message's text
    tool_name: str | None = None  # a call of this function...
    arguments: str | None = None  # ...with these arguments (a JSON text, or anything a model emits)
    finish_reason: str | None = None  # None: derived (tool_calls / stop / length)
    usage: dict[str, Any] | None = None  # keys given here replace the computed ones
    headers: dict[str, str] = field(default_factory=dict)
    error_body: Any = None  # the JSON body of an error reply
    raw_body: bytes | None = None  # sent verbatim (raw())
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before the status line: a server that stalls
    chunk_chars: int = 12  # streaming: characters a delta carries
    chunk_delay: float = 0.0  # streaming: seconds between chunks
    endless: bool = False  # streaming: after the reply, deltas for ever (until the client hangs up)
    keepalive: bool = False  # streaming: after the first chunk, only SSE comments (": keep-alive") for ever
    stall_after: int | None = None  # streaming: go silent for good after this many chunks
    include_usage: bool = True  # streaming: send usage when stream_options asks (llama.cpp's old builds did not)

    @property
    def is_error(self) -> bool:
        return self.status >= 400


Responder = Callable[[dict[str, Any]], "Reply | str | dict[str, Any]"]


def content(text: str, **kwargs: Any) -> Reply:
    """An assistant message with this text (finish_reason stop, or length when cut by max_tokens)."""
    return Reply(content=text, **kwargs)


def json_content(value: Any, **kwargs: Any) -> Reply:
    """A message whose text is this value as JSON: what a json_schema response format returns."""
    return Reply(content=json.dumps(value, ensure_ascii=False), **kwargs)


def tool_call(name: str, arguments: Any, **kwargs: Any) -> Reply:
    """A message calling function `name`; `arguments` a dict (sent as JSON) or a text sent as is."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return Reply(tool_name=name, arguments=text, **kwargs)


def error(status: int, message: str, *, style: str = "openai", headers: dict[str, str] | None = None) -> Reply:
    """An error as the servers send them: `openai` (also Ollama, llama.cpp, LM Studio) nests it under
    "error"; `vllm` sends it at the top level, as an object "error"."""
    if style == "vllm":
        body: dict[str, Any] = {
            "object": "error",
            "message": message,
            "type": "BadRequestError",
            "param": None,
            "code": status,
        }
    else:
        kind = "invalid_request_error" if status < 500 else "server_error"
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Reply(status=status, error_body=body, headers=dict(headers or {}))


def raw(
    body: bytes | str, *, status: int = 200, content_type: str = "text/html; charset=utf-8", **kwargs: Any
) -> Reply:
    """Anything at all, sent verbatim: a gateway's HTML login page, a truncated body."""
    data = body.encode() if isinstance(body, str) else body
    return Reply(status=status, raw_body=data, content_type=content_type, **kwargs)


def as_reply(result: Any) -> Reply | None:
    """What a responder returned, as a Reply: a Reply, a text (content) or a dict (JSON content)."""
    if isinstance(result, Reply):
        return result
    if isinstance(result, str):
        return content(result)
    if isinstance(result, dict):
        return json_content(result)
    return None


# -- reading the request ----------------------------------------------------------------------


def wanted(body: dict[str, Any]) -> str | None:
    """The result the request asks for: the forced function, else the json_schema's name; None when
    the request asks for plain text (a model is then told the schema in the prompt)."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        return (choice.get("function") or {}).get("name")
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("name")
    return None


def structured(body: dict[str, Any], name: str, value: dict[str, Any], **kwargs: Any) -> Reply:
    """`value` in the form the request asked for: a call of `name` when it offered tools, else JSON text."""
    if body.get("tools"):
        return tool_call(name, value, **kwargs)
    return json_content(value, **kwargs)


def user_text(body: dict[str, Any]) -> str:
    """The text of the last user message (its text parts joined)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message)
    return ""


def message_text(message: dict[str, Any]) -> str:
    value = message.get("content")
    if isinstance(value, list):
        return "".join(p.get("text", "") for p in value if isinstance(p, dict))
    return value if isinstance(value, str) else ""
