"""Builders for the events a test dispatches: plain dicts, as Discord sends them.

`message`, `dm_message`, `bot_message`, `attachment` (MESSAGE_CREATE), `slash_command`,
`message_context_menu`, `component`, `modal_submit` (INTERACTION_CREATE); send them with
`await fake.dispatch(...)`.
"""

from __future__ import annotations

import base64
import copy
import itertools
import secrets
from collections.abc import Iterator
from typing import Any

from .constants import ATTACHMENT_SIZE_LIMIT, DM, TEXT
from .guild import (
    ALICE_ID,
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    snowflake,
    snowflake_iso,
)
from .records import Upload


def walk_components(components: list[dict]) -> Iterator[dict]:
    """Every component of a message, nested ones (rows, sections, labels) included."""
    for c in components or []:
        yield c
        yield from walk_components(c.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(c.get(key), dict):
                yield from walk_components([c[key]])


class Payloads:
    """The payload builders of FakeDiscord (mixed into it); they read its users, channels and messages."""

    # -- messages -----------------------------------------------------------------------------

    def message(
        self,
        content: str = "",
        *,
        channel_id: int | str = CHANNEL_ID,
        author: int | str | dict = ALICE_ID,
        message_id: int | str | None = None,
        mentions: list | None = None,
        guild: bool | None = None,
        attachments: list[dict] = (),  # type: ignore[assignment]
        embeds: list[dict] = (),  # type: ignore[assignment]
        reference: int | str | dict | None = None,
        **extra: Any,
    ) -> dict:
        """A MESSAGE_CREATE `d` for a message someone posted (default: alice in #general).

        `mentions`: user ids / user dicts (default: the `<@id>` in `content`). `reference`: the
        message (dict or id) this one replies to. `guild`: default from the channel's type.
        """
        mid = str(message_id or snowflake())
        user = copy.deepcopy(self._user(author))
        in_guild = self._is_guild_channel(channel_id) if guild is None else guild
        if mentions is None:
            mention_list = self._mentions(content, guild=in_guild)
        else:
            mention_list = []
            for m in mentions:
                u = copy.deepcopy(self._user(m))
                if in_guild and u["id"] in self.members:
                    u["member"] = self._member(u["id"])
                mention_list.append(u)
        data: dict = {
            "type": 0,
            "tts": False,
            "timestamp": snowflake_iso(mid),
            "pinned": False,
            "nonce": str(snowflake()),
            "mentions": mention_list,
            "mention_roles": [],
            "mention_everyone": False,
            "id": mid,
            "flags": 0,
            "embeds": list(embeds),
            "edited_timestamp": None,
            "content": content,
            "components": [],
            "channel_id": str(channel_id),
            "author": user,
            "attachments": list(attachments),
        }
        channel = self.channels.get(channel_id)
        if channel is not None:
            data["channel_type"] = channel["type"]
        if in_guild:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = self._member(user["id"])
        if reference is not None:
            ref = reference if isinstance(reference, dict) else self.message_by_id(reference)
            if ref is None:
                raise LookupError(f"no message {reference} to reply to")
            data["type"] = 19
            data["message_reference"] = {
                "type": 0,
                "channel_id": ref["channel_id"],
                "message_id": ref["id"],
                **({"guild_id": str(GUILD_ID)} if in_guild else {}),
            }
            data["referenced_message"] = {k: v for k, v in ref.items() if k not in ("member", "guild_id")}
        data.update(extra)
        return data

    def dm_message(self, content: str = "", *, author: int | str | dict = ALICE_ID, **kw: Any) -> dict:
        """A MESSAGE_CREATE `d` for a DM to the bot (no guild_id / member)."""
        channel_id = kw.pop("channel_id", None) or self._dm_channel(self._user(author)["id"])["id"]
        return self.message(content, channel_id=channel_id, author=author, guild=False, **kw)

    def bot_message(self, content: str = "", *, channel_id: int | str = CHANNEL_ID, **kw: Any) -> dict:
        """A MESSAGE_CREATE `d` for a message by the bot itself (e.g. an earlier reply)."""
        return self.message(content, channel_id=channel_id, author=BOT_ID, **kw)

    def attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        *,
        channel_id: int | str = CHANNEL_ID,
    ) -> dict:
        """An attachment object for a user message; its URL serves `data` (Attachment.read() works)."""
        aid = str(snowflake())
        self._files[aid] = Upload("files[0]", filename, content_type, data)
        url = f"{self.base_url}/attachments/{channel_id}/{aid}/{filename}"
        return {
            "id": aid,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    # -- interactions -------------------------------------------------------------------------

    def _interaction(
        self,
        itype: int,
        data: dict | None,
        *,
        channel_id: int | str,
        user: int | str | dict,
        message: dict | None = None,
    ) -> dict:
        iid = snowflake()
        # Discord's interaction tokens start with base64("interaction:")
        token = "aW50ZXJhY3Rpb246" + base64.urlsafe_b64encode(
            f"{iid}:{secrets.token_hex(24)}".encode()
        ).decode().rstrip("=")
        channel = self.channels.get(channel_id) or {"id": str(channel_id), "type": TEXT}
        u = copy.deepcopy(self._user(user))
        in_guild = channel["type"] != DM
        payload: dict = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": itype,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "app_permissions": str(self._permissions_of(BOT_ID) if in_guild else 0),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel": copy.deepcopy(channel),
            "channel_id": channel["id"],
            "context": 0 if in_guild else 1,
        }
        if data is not None:
            payload["data"] = data
        if in_guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild"] = {"id": str(GUILD_ID), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = self._member(u["id"], with_user=True, permissions=True)
            payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
        else:
            payload["user"] = u
            payload["authorizing_integration_owners"] = {"0": "0"}
        if message is not None:
            payload["message"] = message
        return payload

    def _command(self, name: str, ctype: int, guild: bool) -> dict | None:
        for cmd in self.commands:
            if cmd["name"] == name and cmd.get("type", 1) == ctype and ("guild_id" in cmd) == guild:
                return cmd
        if guild:
            return self._command(name, ctype, False)
        return None

    def slash_command(
        self,
        name: str,
        options: dict[str, Any] | list[dict] | None = None,
        *,
        channel_id: int | str = CHANNEL_ID,
        user: int | str | dict = ALICE_ID,
    ) -> dict:
        """An INTERACTION_CREATE `d` for /name (type 2, data.type 1).

        `name` may hold subcommands ("recap ask"). `options`: {name: value} (types from the synced
        command, else from the Python value) or raw option dicts. A command synced to the guild
        gets data.guild_id, as Discord sends it (discord.py's CommandTree looks it up by that).
        """
        parts = name.split()
        in_guild = self._is_guild_channel(channel_id)
        cmd = self._command(parts[0], 1, in_guild)
        defs = (cmd or {}).get("options") or []
        for sub in parts[1:]:
            defs = next((o.get("options") or [] for o in defs if o.get("name") == sub), [])
        resolved: dict = {}
        opts = self._options(options, defs, resolved, in_guild)
        for depth, sub in reversed(list(enumerate(parts[1:], start=1))):
            opts = [{"type": 1 if depth == len(parts) - 1 else 2, "name": sub, "options": opts}]
        data: dict = {"id": (cmd or {}).get("id") or str(snowflake()), "name": parts[0], "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd is not None and "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return self._interaction(2, data, channel_id=channel_id, user=user)

    def _options(self, options: Any, defs: list[dict], resolved: dict, in_guild: bool) -> list[dict]:
        if not options:
            return []
        if isinstance(options, list):
            return copy.deepcopy(options)
        out = []
        for key, value in options.items():
            declared = next((o.get("type") for o in defs if o.get("name") == key), None)
            if declared is None:
                declared = (
                    5
                    if isinstance(value, bool)
                    else 4
                    if isinstance(value, int)
                    else 10
                    if isinstance(value, float)
                    else 3
                )
            if declared in (6, 9):  # user / mentionable
                u = self._user(value)
                value = u["id"]
                resolved.setdefault("users", {})[value] = copy.deepcopy(u)
                if in_guild and value in self.members:
                    m = self._member(value, permissions=True)
                    resolved.setdefault("members", {})[value] = m
            elif declared == 7:  # channel
                ch = self.channels[value]
                value = ch["id"]
                resolved.setdefault("channels", {})[value] = {
                    k: ch[k] for k in ("id", "name", "type", "parent_id", "thread_metadata") if k in ch
                } | {"permissions": str(self._permissions_of(ALICE_ID))}
            elif declared == 4:
                value = int(value)
            elif declared == 10:
                value = float(value)
            elif declared == 3:
                value = str(value)
            out.append({"name": key, "type": declared, "value": value})
        return out

    def message_context_menu(
        self,
        name: str,
        target_message: int | str | dict,
        *,
        user: int | str | dict = ALICE_ID,
        channel_id: int | str | None = None,
    ) -> dict:
        """An INTERACTION_CREATE `d` for a message command (type 2, data.type 3) on `target_message`."""
        target = self._latest(target_message)
        channel_id = channel_id or target["channel_id"]
        in_guild = self._is_guild_channel(channel_id)
        cmd = self._command(name, 3, in_guild)
        resolved_message = {k: v for k, v in target.items() if k not in ("member", "guild_id", "channel_type")}
        data: dict = {
            "id": (cmd or {}).get("id") or str(snowflake()),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: resolved_message}},
        }
        if cmd is not None and "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return self._interaction(2, data, channel_id=channel_id, user=user)

    def _latest(self, message: int | str | dict) -> dict:
        """The fake's copy of a message (with the bot's edits), else the dict given."""
        mid = message["id"] if isinstance(message, dict) else str(message)
        stored = self.message_by_id(mid)
        if stored is not None:
            return copy.deepcopy(stored)
        if isinstance(message, dict):
            return copy.deepcopy(message)
        raise LookupError(f"the fake knows no message {mid}")

    def component(
        self,
        custom_id: str,
        message: int | str | dict,
        *,
        values: list[str] | None = None,
        component_type: int | None = None,
        user: int | str | dict = ALICE_ID,
        check: bool = True,
    ) -> dict:
        """An INTERACTION_CREATE `d` for a click on a button / select (type 3) of `message` (as the fake has it)."""
        msg = self._latest(message)
        found = next((c for c in walk_components(msg.get("components") or []) if c.get("custom_id") == custom_id), None)
        if found is None and check:
            ids = [c.get("custom_id") for c in walk_components(msg.get("components") or []) if c.get("custom_id")]
            raise LookupError(f"message {msg['id']} has no component {custom_id!r} (it has {ids})")
        ctype = component_type or (found or {}).get("type", 2)
        data: dict = {"custom_id": custom_id, "component_type": ctype}
        if ctype in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        if found is not None and found.get("id") is not None:
            data["id"] = found["id"]
        return self._interaction(3, data, channel_id=msg["channel_id"], user=user, message=msg)

    def modal_submit(
        self,
        custom_id: str | None = None,
        fields: dict[str, str] | None = None,
        *,
        user: int | str | dict = ALICE_ID,
        channel_id: int | str | None = None,
    ) -> dict:
        """An INTERACTION_CREATE `d` submitting a modal (type 5) the bot opened (default: the last one).

        `fields`: {text input custom_id: value}; the components mirror the modal's layout (action
        rows or labels). Channel and (for a modal opened from a component) message follow the
        interaction that opened it.
        """
        fields = dict(fields or {})
        opened = next(
            (m for m in reversed(self.modals) if custom_id is None or m["data"]["custom_id"] == custom_id), None
        )
        if opened is None:
            if custom_id is None:
                raise LookupError("the bot opened no modal")
            rows = [
                {"type": 1, "id": i + 1, "components": [{"type": 4, "id": i + 2, "custom_id": k, "value": v}]}
                for i, (k, v) in enumerate(fields.items())
            ]
            return self._interaction(
                5, {"custom_id": custom_id, "components": rows}, channel_id=channel_id or CHANNEL_ID, user=user
            )
        ids = itertools.count(1)
        known: set[str] = set()

        def submitted(component: dict) -> dict:
            ctype = component.get("type")
            out: dict = {"type": ctype, "id": component.get("id") or next(ids)}
            if ctype == 1:
                out["components"] = [submitted(c) for c in component.get("components") or []]
            elif ctype == 18:
                out["component"] = submitted(component["component"])
            elif ctype == 4:
                known.add(component["custom_id"])
                out["custom_id"] = component["custom_id"]
                out["value"] = fields.get(component["custom_id"], component.get("value") or "")
            elif ctype in (3, 5, 6, 7, 8):
                known.add(component["custom_id"])
                out["custom_id"] = component["custom_id"]
                value = fields.get(component["custom_id"], [])
                out["values"] = [value] if isinstance(value, str) else list(value)
            return out

        components = [submitted(c) for c in opened["data"]["components"]]
        unknown = set(fields) - known
        if unknown:
            raise LookupError(
                f"modal {opened['data']['custom_id']!r} has no inputs {sorted(unknown)} (it has {sorted(known)})"
            )
        source = opened["interaction"]
        message = source.get("message")
        if message is not None:
            message = self._latest(message)
        return self._interaction(
            5,
            {"custom_id": opened["data"]["custom_id"], "components": components},
            channel_id=channel_id or source["channel_id"],
            user=user,
            message=message,
        )
