"""Discord's validation rules and error answers, as the fake enforces them.

Errors are Discord's: 401, 403 50013 (missing permission), 403 50005 (editing another user's
message), 404 with 10003/10008/10015/10062..., 405, 50006 empty message, 160004 thread exists,
40005 file over 10 MiB, 50109 bad JSON, and 400 50035 "Invalid Form Body" with Discord's nested
`errors` for: content > 2000, > 10 embeds, title > 256, description > 4096, > 25 fields, field name
> 256 / value > 1024, footer > 2048, author name > 256, all embeds > 6000 chars, bad embed URLs,
> 5 action rows / > 5 buttons a row, custom_id > 100, duplicate custom_ids, label > 80, select
options, modal limits (title 45, 1..5 components, label 45), thread names, command names.
"""

from __future__ import annotations

import re
from typing import Any

from .constants import ATTACHMENT_SIZE_LIMIT
from .records import Upload


class DiscordError(Exception):
    """An error answer: HTTP status, Discord's JSON error code and message, 50035's nested errors."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict:
        body: dict = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def not_found(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


class FormErrors:
    """Collects Discord's nested 50035 `errors` object."""

    def __init__(self) -> None:
        self.errors: dict = {}

    def add(self, path: tuple, code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple, value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: tuple, value: Any, low: int, high: int) -> None:
        if value is None or not (low <= len(value) <= high):
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise DiscordError(400, 50035, "Invalid Form Body", self.errors)


_URL = re.compile(r"^(https?|attachment)://\S+$")


def embed_errors(errors: FormErrors, embeds: Any, prefix: tuple) -> None:
    if not isinstance(embeds, list):
        errors.add(prefix, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    errors.max_length(prefix, embeds, 10)
    total = 0
    for i, embed in enumerate(embeds):
        path = prefix + (i,)
        if not isinstance(embed, dict):
            errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType.")
            continue
        title, description = embed.get("title"), embed.get("description")
        errors.max_length(path + ("title",), title, 256)
        errors.max_length(path + ("description",), description, 4096)
        total += len(title or "") + len(description or "")
        fields = embed.get("fields") or []
        errors.max_length(path + ("fields",), fields, 25)
        for j, f in enumerate(fields):
            name, value = f.get("name"), f.get("value")
            for key, val, limit in (("name", name, 256), ("value", value, 1024)):
                if val is None or val == "":
                    errors.add(path + ("fields", j, key), "BASE_TYPE_REQUIRED", "This field is required")
                else:
                    errors.max_length(path + ("fields", j, key), val, limit)
            total += len(name or "") + len(value or "")
        for key, text_key, limit in (("footer", "text", 2048), ("author", "name", 256)):
            part = embed.get(key) or {}
            if part:
                if not part.get(text_key):
                    errors.add(path + (key, text_key), "BASE_TYPE_REQUIRED", "This field is required")
                errors.max_length(path + (key, text_key), part.get(text_key), limit)
                total += len(part.get(text_key) or "")
        if embed.get("url") is not None and not _URL.match(str(embed["url"])):
            errors.add(path + ("url",), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        for key in ("thumbnail", "image", "video"):
            if isinstance(embed.get(key), dict) and not _URL.match(str(embed[key].get("url", ""))):
                errors.add(path + (key, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            errors.add(path + ("color",), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.")
    if total > 6000:
        errors.add(prefix, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def component_errors(errors: FormErrors, components: Any, prefix: tuple, *, v2: bool, modal: bool = False) -> None:
    if not isinstance(components, list):
        errors.add(prefix, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    seen: set[str] = set()

    def check_item(item: dict, path: tuple) -> None:
        ctype = item.get("type")
        custom_id = item.get("custom_id")
        if custom_id is not None:
            errors.max_length(path + ("custom_id",), custom_id, 100)
            if custom_id in seen:
                errors.add(
                    path + ("custom_id",), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                )
            seen.add(custom_id)
        if ctype == 2:  # button
            if item.get("style") == 5:
                if not _URL.match(str(item.get("url", ""))):
                    errors.add(path + ("url",), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
            elif item.get("style") != 6 and not custom_id:
                errors.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("label",), item.get("label"), 80)
        elif ctype in (3, 5, 6, 7, 8):  # selects
            if not custom_id:
                errors.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("placeholder",), item.get("placeholder"), 150)
            if ctype == 3:
                options = item.get("options") or []
                if not 1 <= len(options) <= 25:
                    errors.add(path + ("options",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
                for k, option in enumerate(options):
                    errors.max_length(path + ("options", k, "label"), option.get("label"), 100)
                    errors.max_length(path + ("options", k, "value"), option.get("value"), 100)
        elif ctype == 4:  # text input
            if not modal:
                errors.add(path + ("type",), "COMPONENT_TYPE_INVALID", "Text inputs are only valid in modals")
            if not custom_id:
                errors.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.max_length(path + ("label",), item.get("label"), 45)
            errors.max_length(path + ("placeholder",), item.get("placeholder"), 100)
            errors.max_length(path + ("value",), item.get("value"), 4000)
        for k, child in enumerate(item.get("components") or []):
            check_item(child, path + ("components", k))
        for key in ("component", "accessory"):
            if isinstance(item.get(key), dict):
                check_item(item[key], path + (key,))

    if not v2:
        errors.max_length(prefix, components, 5)
    for i, row in enumerate(components):
        path = prefix + (i,)
        if not v2 and not modal and row.get("type") != 1:
            errors.add(path + ("type",), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
            continue
        if row.get("type") == 1:
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errors.add(path + ("components",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            if len(children) > 1 and any(c.get("type") in (3, 4, 5, 6, 7, 8) for c in children):
                errors.add(
                    path + ("components",),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
        check_item(row, path)


def message_errors(body: dict, *, files: list[Upload], prefix: tuple = (), edit: bool = False) -> None:
    """Discord's checks on a message create / edit body; raises DiscordError."""
    errors = FormErrors()
    content = body.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors.add(prefix + ("content",), "STRING_TYPE_CONVERT", "Could not interpret value as string.")
        else:
            errors.max_length(prefix + ("content",), content, 2000)
    if body.get("embeds") is not None:
        embed_errors(errors, body["embeds"], prefix + ("embeds",))
    if body.get("embed") is not None:
        embed_errors(errors, [body["embed"]], prefix + ("embeds",))
    flags = body.get("flags") or 0
    if body.get("components") is not None:
        component_errors(errors, body["components"], prefix + ("components",), v2=bool(flags & (1 << 15)))
    if len(files) > 10:
        errors.add(prefix + ("files",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    errors.raise_if_any()
    for upload in files:
        if len(upload.data) > ATTACHMENT_SIZE_LIMIT:
            raise DiscordError(413, 40005, "Request entity too large")
    if not edit:
        empty = (
            not (content or "").strip()
            and not body.get("embeds")
            and not body.get("embed")
            and not files
            and not body.get("components")
            and not body.get("sticker_ids")
            and not body.get("poll")
        )
        if empty:
            raise DiscordError(400, 50006, "Cannot send an empty message")


def modal_errors(data: dict) -> None:
    errors = FormErrors()
    errors.length_between(("data", "title"), data.get("title"), 1, 45)
    errors.length_between(("data", "custom_id"), data.get("custom_id"), 1, 100)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    else:
        component_errors(errors, components, ("data", "components"), v2=False, modal=True)
    errors.raise_if_any()


_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def command_errors(body: dict, prefix: tuple) -> None:
    """Discord's checks on an application command (a slash command's name is lower case)."""
    errors = FormErrors()
    ctype = body.get("type", 1)
    name = body.get("name") or ""
    if ctype == 1:
        if not _COMMAND_NAME.fullmatch(name) or name != name.lower():
            errors.add(prefix + ("name",), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        errors.length_between(prefix + ("description",), body.get("description") or "", 1, 100)
    else:
        errors.length_between(prefix + ("name",), name, 1, 32)
    errors.max_length(prefix + ("options",), body.get("options") or [], 25)
    errors.raise_if_any()


def channel_errors(body: dict) -> None:
    errors = FormErrors()
    if "name" in body:
        errors.length_between(("name",), body["name"] or "", 1, 100)
    errors.raise_if_any()


def thread_errors(body: dict) -> None:
    errors = FormErrors()
    errors.length_between(("name",), body.get("name") or "", 1, 100)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in (60, 1440, 4320, 10080):
        errors.add(("auto_archive_duration",), "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
    errors.raise_if_any()
