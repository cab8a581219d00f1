"""What the real API refuses: the Block Kit limits it enforces on messages and views, and the error
it answers with (HTTP 200, `"ok": false`, problems listed the way Slack lists them)."""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000

_BLOCK_TYPES = {
    "section",
    "header",
    "divider",
    "context",
    "actions",
    "image",
    "rich_text",
    "markdown",
    "input",
    "file",
    "video",
    "context_actions",
    "table",
}


class SlackError(Exception):
    """A refused call: Slack answers it with HTTP 200 and {"ok": false, "error": ...}."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            out["errors"] = list(self.messages)
            out["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return out


def _text_problems(obj: Any, pointer: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"must be a text object [json-pointer:{pointer}]"]
    if plain_only and obj.get("type") != "plain_text":
        return [f"must be a plain_text object [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _element_problems(el: Any, pointer: str) -> list[str]:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        return [f"must be an element object [json-pointer:{pointer}]"]
    problems: list[str] = []
    if el["type"] == "button":
        problems += _text_problems(el.get("text"), pointer + "/text", 75, plain_only=True)
        if len(str(el.get("value", ""))) > 2000:
            problems.append(f"must be less than 2001 characters [json-pointer:{pointer}/value]")
        if len(str(el.get("url", ""))) > 3000:
            problems.append(f"must be less than 3001 characters [json-pointer:{pointer}/url]")
        if el.get("style") not in (None, "primary", "danger"):
            problems.append(f"must be one of primary, danger [json-pointer:{pointer}/style]")
    if len(str(el.get("action_id", ""))) > 255:
        problems.append(f"must be less than 256 characters [json-pointer:{pointer}/action_id]")
    return problems


def validate_blocks(blocks: list[Any], *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Problems the real API reports for these blocks (empty list: valid)."""
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"must be less than {max_blocks + 1} items [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict):
            problems.append(f"must be an object [json-pointer:{at}]")
            continue
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            problems.append(f"unsupported type: {kind} [json-pointer:{at}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > 255:
                problems.append(f"must be less than 256 characters [json-pointer:{at}/block_id]")
            if block_id in seen_ids:
                problems.append(f"duplicate block_id [json-pointer:{at}/block_id]")
            seen_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"must provide either text or fields [json-pointer:{at}]")
            if "text" in block:
                problems += _text_problems(block["text"], at + "/text", 3000)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not fields or len(fields) > 10:
                    problems.append(f"must be 1 to 10 items [json-pointer:{at}/fields]")
                else:
                    for j, f in enumerate(fields):
                        problems += _text_problems(f, f"{at}/fields/{j}", 2000)
            if "accessory" in block:
                problems += _element_problems(block["accessory"], at + "/accessory")
        elif kind == "header":
            problems += _text_problems(block.get("text"), at + "/text", 150, plain_only=True)
        elif kind in ("context", "actions"):
            limit = 10 if kind == "context" else 25
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                problems.append(f"must be more than 0 items [json-pointer:{at}/elements]")
                continue
            if len(elements) > limit:
                problems.append(f"must be less than {limit + 1} items [json-pointer:{at}/elements]")
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                el_at = f"{at}/elements/{j}"
                if kind == "context":
                    if isinstance(el, dict) and el.get("type") == "image":
                        continue
                    problems += _text_problems(el, el_at, 3000)
                else:
                    problems += _element_problems(el, el_at)
                    action_id = el.get("action_id") if isinstance(el, dict) else None
                    if action_id is not None:
                        if action_id in action_ids:
                            problems.append(f"duplicate action_id [json-pointer:{el_at}/action_id]")
                        action_ids.add(action_id)
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                problems.append(f"must provide image_url or slack_file [json-pointer:{at}]")
            if not block.get("alt_text") or len(str(block["alt_text"])) > 2000:
                problems.append(f"must be 1 to 2000 characters [json-pointer:{at}/alt_text]")
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text or len(text) > 12000:
                problems.append(f"must be 1 to 12000 characters [json-pointer:{at}/text]")
        elif kind == "input":
            problems += _text_problems(block.get("label"), at + "/label", 2000, plain_only=True)
            if not isinstance(block.get("element"), dict):
                problems.append(f"must provide an element [json-pointer:{at}/element]")
    return problems


def validate_view(view: dict[str, Any]) -> list[str]:
    """Problems the real API reports for a modal view (empty list: valid)."""
    problems: list[str] = []
    if view.get("type") not in ("modal", "home"):
        problems.append("must be one of modal, home [json-pointer:/view/type]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("must provide an array [json-pointer:/view/blocks]")
        blocks = []
    problems += validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    if view.get("type") == "modal":
        problems += _text_problems(view.get("title"), "/view/title", 24, plain_only=True)
        for name in ("submit", "close"):
            if view.get(name) is not None:
                problems += _text_problems(view[name], f"/view/{name}", 24, plain_only=True)
        if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks) and not view.get("submit"):
            problems.append("must provide submit when the view has input blocks [json-pointer:/view/submit]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
    return problems
