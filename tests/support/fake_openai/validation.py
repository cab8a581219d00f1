"""What FakeOpenAI refuses, as the servers do: malformed requests (400), and the features a server
does not support, refused in the words and shape of the server it plays (`flavour`)."""

from __future__ import annotations

import re
from typing import Any

from .replies import Reply, error

ROLES = {"system", "developer", "user", "assistant", "tool"}
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

# How real servers turn down a feature they lack. Ollama answers a model without tool support with a
# 400; llama.cpp's server without --jinja with a 500; vLLM puts its error at the top level; FastAPI
# gateways (LocalAI and friends) answer 422 and echo the request they refused, transcript and all.
REFUSALS: dict[tuple[str, str], tuple[int, str, str]] = {
    ("ollama", "tools"): (400, "openai", "registry.ollama.ai/library/{model} does not support tools"),
    ("llama.cpp", "tools"): (500, "openai", "tools param requires --jinja flag"),
    ("vllm", "tools"): (
        400,
        "vllm",
        '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    ),
    ("llama.cpp", "response_format"): (
        400,
        "openai",
        'response_format type must be one of "text" or "json_object", but got: json_schema',
    ),
    ("vllm", "response_format"): (400, "vllm", "guided decoding backend is not available for response_format"),
}


class Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.error_body)
        self.reply = reply


def invalid(message: str, flavour: str) -> Refused:
    return Refused(error(400, message, style="vllm" if flavour == "vllm" else "openai"))


def validate(body: Any, flavour: str) -> None:
    """Raise Refused for a request no OpenAI-compatible server would take."""
    if not isinstance(body, dict):
        raise invalid("We could not parse the JSON body of your request.", flavour)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise invalid("you must provide a model parameter", flavour)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty array", flavour)
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise invalid(f"messages[{i}].role: invalid value", flavour)
        c = m.get("content")
        ok = isinstance(c, str) or (
            isinstance(c, list) and all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in c)
        )
        if not ok and not (m["role"] == "assistant" and c is None and m.get("tool_calls")):
            raise invalid(f"messages[{i}].content: expected a string or an array of text parts", flavour)
    for name in ("max_tokens", "max_completion_tokens"):
        if name in body and (not isinstance(body[name], int) or body[name] < 1):
            raise invalid(f"{name} must be a positive integer", flavour)
    if "stream_options" in body and not body.get("stream"):
        raise invalid("stream_options is only allowed when stream is true", flavour)
    _validate_tools(body, flavour)
    _validate_response_format(body.get("response_format"), flavour)


def _validate_tools(body: dict[str, Any], flavour: str) -> None:
    tools = body.get("tools")
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("tools: expected an array", flavour)
        for t in tools:
            fn = t.get("function") if isinstance(t, dict) else None
            if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(fn, dict):
                raise invalid("tools[]: expected {type: function, function: {...}}", flavour)
            if not _FUNCTION_NAME.match(str(fn.get("name"))) or not isinstance(fn.get("parameters", {}), dict):
                raise invalid("tools[].function: invalid name or parameters", flavour)
            names.append(fn["name"])
    choice = body.get("tool_choice")
    if choice is None or choice in ("none", "auto"):
        return
    if not names:
        raise invalid("tool_choice is only allowed when tools are specified", flavour)
    if choice == "required":
        return
    name = ((choice.get("function") or {}).get("name")) if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or name not in names:
        raise invalid(f"tool_choice: no function named {name!r} among the tools", flavour)


def _validate_response_format(value: Any, flavour: str) -> None:
    if value is None:
        return
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise invalid("response_format.type must be text, json_object or json_schema", flavour)
    if kind == "json_schema":
        spec = value.get("json_schema")
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("name"), str)
            or not isinstance(spec.get("schema"), dict)
        ):
            raise invalid("response_format.json_schema needs a name and a schema", flavour)


def refusal(body: dict[str, Any], rejects: set[str], flavour: str) -> Refused | None:
    """The refusal of a feature this server lacks, when the request uses one."""
    used = {"tools"} if body.get("tools") else set()
    if isinstance(body.get("response_format"), dict) and body["response_format"].get("type") == "json_schema":
        used.add("response_format")
    for feature in sorted(used & rejects):
        if flavour == "fastapi":
            detail = [
                {"type": "extra_forbidden", "loc": ["body", feature], "msg": "Extra inputs are not permitted"},
                {"type": "echo", "loc": ["body"], "input": body},  # the request, echoed back
            ]
            return Refused(Reply(status=422, error_body={"detail": detail}))
        status, style, message = REFUSALS.get((flavour, feature), (400, "openai", f"{feature} is not supported"))
        return Refused(error(status, message.format(model=body["model"]), style=style))
    return None
