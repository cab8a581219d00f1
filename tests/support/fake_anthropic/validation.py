"""What the fake refuses: requests the real API rejects with a 400 `invalid_request_error`, and
scripted replies that could not have answered the request (reported as script problems)."""

from __future__ import annotations

import json
import re
from typing import Any

from .caching import TTL_SECONDS

MAX_CACHE_BREAKPOINTS = 4

# Top-level fields of a Messages request (anthropic SDK 2.x `MessageCreateParams`, plus the
# sampling parameters older clients send). Anything else is "Extra inputs are not permitted".
KNOWN_FIELDS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "stream",
        "stop_sequences",
        "metadata",
        "thinking",
        "output_config",
        "service_tier",
        "speed",
        "cache_control",
        "container",
        "diagnostics",
        "inference_geo",
        "context_management",
        "mcp_servers",
        "temperature",
        "top_p",
        "top_k",
    }
)
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")


class ApiError(Exception):
    """An error answer: `{"type": "error", "error": {"type", "message"}}` with `status`."""

    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message
        self.headers = dict(headers or {})


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request_error", message)


# -- the request -------------------------------------------------------------------------------


def validate(body: Any, *, strict_alternation: bool) -> None:
    """Raise the 400 the real API answers `body` with, if any."""
    if not isinstance(body, dict):
        raise invalid("request body: Input should be a valid dictionary")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise invalid(f"{name}: Field required")
    extra = sorted(set(body) - KNOWN_FIELDS)
    if extra:
        raise invalid(f"{extra[0]}: Extra inputs are not permitted")
    if not isinstance(body["model"], str) or not body["model"]:
        raise invalid("model: Input should be a valid string")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise invalid("max_tokens: Input should be a valid integer")
    if max_tokens < 0:
        raise invalid("max_tokens: Input should be greater than or equal to 0")
    _validate_system(body.get("system"))
    tool_names = _validate_tools(body.get("tools"))
    _validate_tool_choice(body.get("tool_choice"), tool_names)
    _validate_messages(body["messages"], strict_alternation)
    _validate_cache_control(body)
    stops = body.get("stop_sequences")
    if stops is not None and (not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops)):
        raise invalid("stop_sequences: Input should be a list of non-empty strings")
    output_config = body.get("output_config")
    if output_config is not None:
        fmt = output_config.get("format") if isinstance(output_config, dict) else None
        if fmt is not None and (
            not isinstance(fmt, dict) or fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict)
        ):
            raise invalid('output_config.format: expected {"type": "json_schema", "schema": {...}}')


def _validate_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise invalid("system: Input should be a valid string or a list of text blocks")
    for j, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise invalid(f"system.{j}.type: Input should be 'text'")
        if not isinstance(block.get("text"), str):
            raise invalid(f"system.{j}.text: Field required")
        if not block["text"]:
            raise invalid("system: text content blocks must be non-empty")


def _validate_tools(tools: Any) -> list[str]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a valid list")
    names: list[str] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise invalid(f"tools.{i}: Input should be a valid dictionary")
        name = tool.get("name")
        if not isinstance(name, str):
            raise invalid(f"tools.{i}.name: Field required")
        if tool.get("type") in (None, "custom"):
            if not _TOOL_NAME.match(name):
                raise invalid(f"tools.{i}.name: String should match pattern '{_TOOL_NAME.pattern}'")
            schema = tool.get("input_schema")
            if not isinstance(schema, dict):
                raise invalid(f"tools.{i}.custom.input_schema: Field required")
            if schema.get("type") != "object":
                raise invalid(f"tools.{i}.custom.input_schema.type: Input should be 'object'")
        if name in names:
            raise invalid("tools: Tool names must be unique.")
        names.append(name)
    return names


def _validate_tool_choice(choice: Any, tool_names: list[str]) -> None:
    if choice is None:
        return
    if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
        raise invalid("tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
    if choice["type"] in ("any", "tool") and not tool_names:
        raise invalid("tool_choice: tool_choice may only be specified while providing tools.")
    if choice["type"] == "tool":
        name = choice.get("name")
        if not isinstance(name, str):
            raise invalid("tool_choice.tool.name: Field required")
        if name not in tool_names:
            raise invalid(f"tool_choice: Tool '{name}' not found in tools (tools: {', '.join(tool_names)})")


def _validate_messages(messages: Any, strict_alternation: bool) -> None:
    if not isinstance(messages, list):
        raise invalid("messages: Input should be a valid list")
    if not messages:
        raise invalid("messages: at least one message is required")
    previous_role: str | None = None
    pending_tool_uses: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages.{i}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            raise invalid(f"messages.{i}.content: Field required")
        content = message["content"]
        final_assistant = role == "assistant" and i == len(messages) - 1
        if isinstance(content, str):
            blocks: list[Any] = [{"type": "text", "text": content}] if content else []
        elif isinstance(content, list):
            blocks = content
        else:
            raise invalid(f"messages.{i}.content: Input should be a valid string or list")
        if not blocks and not final_assistant:
            raise invalid(
                f"messages.{i}: all messages must have non-empty content except "
                "for the optional final assistant message"
            )
        for j, block in enumerate(blocks):
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                raise invalid(f"messages.{i}.content.{j}.type: Field required")
            if block["type"] == "text" and not block.get("text"):
                raise invalid("messages: text content blocks must be non-empty")
        if strict_alternation:
            if i == 0 and role != "user":
                raise invalid('messages: first message must use the "user" role')
            if role == previous_role:
                raise invalid(
                    'messages: roles must alternate between "user" and "assistant", '
                    f'but found multiple "{role}" roles in a row'
                )
        # tool_use ids of an assistant turn must be answered by tool_result blocks right after
        results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if role == "user":
            unexpected = results - pending_tool_uses
            if unexpected:
                raise invalid(
                    f"messages.{i}.content: unexpected `tool_use_id` found in "
                    f"`tool_result` blocks: {', '.join(sorted(map(str, unexpected)))}. "
                    "Each `tool_result` block must have a corresponding `tool_use` "
                    "block in the previous message."
                )
            missing = pending_tool_uses - results
            if missing:
                raise invalid(
                    f"messages.{i}: `tool_use` ids were found without `tool_result` "
                    f"blocks immediately after: {', '.join(sorted(missing))}. Each "
                    "`tool_use` block must have a corresponding `tool_result` block "
                    "in the next message."
                )
            pending_tool_uses = set()
        else:
            pending_tool_uses = {str(b.get("id")) for b in blocks if b.get("type") == "tool_use"}
        previous_role = role


def _validate_cache_control(body: dict[str, Any]) -> None:
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
            raise invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
        if cc.get("ttl", "5m") not in TTL_SECONDS:
            raise invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    if len(found) > MAX_CACHE_BREAKPOINTS:
        raise invalid(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {len(found)}."
        )
    ttls = [cc.get("ttl", "5m") for where, cc in found if where != "cache_control"]
    if "5m" in ttls and "1h" in ttls[ttls.index("5m") :]:
        raise invalid("a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block")


# -- the scripted reply ------------------------------------------------------------------------


def script_problem(body: dict[str, Any], content: list[dict[str, Any]]) -> str | None:
    """Why a scripted reply could not answer `body` (a tool it does not offer, a forced
    tool_choice ignored, input or structured output off its JSON schema); None if it could."""
    tools = {t.get("name"): t for t in body.get("tools") or [] if isinstance(t, dict)}
    uses = [b for b in content if b.get("type") == "tool_use"]
    for use in uses:
        tool = tools.get(use.get("name"))
        if tool is None:
            return f"scripted tool_use {use.get('name')!r} but the request offers tools {sorted(map(str, tools))}"
        if "input_schema" in tool:
            problem = _schema_problem(use.get("input"), tool["input_schema"])
            if problem:
                return f"scripted input for tool {use.get('name')!r} does not match its input_schema: {problem}"
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool" and not any(u.get("name") == choice.get("name") for u in uses):
        return f"the request forces tool {choice.get('name')!r} but the scripted reply does not use it"
    if choice.get("type") == "any" and not uses:
        return "the request has tool_choice any but the scripted reply uses no tool"
    if choice.get("type") == "none" and uses:
        return "the request has tool_choice none but the scripted reply uses a tool"
    fmt = (body.get("output_config") or {}).get("format")
    if fmt and not uses:
        answer = "".join(b.get("text", "") for b in content if b.get("type") == "text")
        try:
            value = json.loads(answer)
        except ValueError:
            return (
                "the request asks for structured output (output_config.format) "
                f"but the scripted text is not JSON: {answer[:80]!r}"
            )
        problem = _schema_problem(value, fmt["schema"])
        if problem:
            return f"scripted structured output does not match the schema: {problem}"
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
