"""The message store and the REST routes for messages, reactions and typing."""

from __future__ import annotations

import contextlib
import copy
import re

from .constants import (
    ADD_REACTIONS,
    ATTACH_FILES,
    DM,
    FORUM,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_TYPES,
)
from .guild import APP_ID, BOT_ID, GUILD_ID, now_iso, snowflake, snowflake_iso
from .limits import DiscordError, FormErrors, message_errors
from .records import Upload


class Messages:
    """The message store of FakeDiscord (mixed into it): `messages` by channel, an index by id, files.

    Stored messages are REST-shaped (no guild_id / member); `_gateway_message` adds those back
    for MESSAGE_CREATE / MESSAGE_UPDATE.
    """

    def _store_message(self, message: dict) -> dict:
        stored = {k: v for k, v in message.items() if k not in ("guild_id", "member", "channel_type")}
        stored["mentions"] = [{k: v for k, v in u.items() if k != "member"} for u in stored.get("mentions") or []]
        self.messages.setdefault(stored["channel_id"], []).append(stored)
        self._message_index[stored["id"]] = stored
        channel = self.channels.get(stored["channel_id"])
        if channel is not None:
            channel["last_message_id"] = stored["id"]
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
        return stored

    def _gateway_message(self, message: dict) -> dict:
        """A stored (REST-shaped) message as MESSAGE_CREATE / MESSAGE_UPDATE carries it."""
        data = copy.deepcopy(message)
        channel = self.channels.get(message["channel_id"])
        if channel is not None and channel["type"] != DM:
            data["guild_id"] = str(GUILD_ID)
            if not data.get("webhook_id"):
                data["member"] = self._member(message["author"]["id"])
            data["mentions"] = self._mentions(data.get("content", ""), guild=True) or data.get("mentions", [])
        if channel is not None:
            data["channel_type"] = channel["type"]
        return data

    def _attachments(
        self, body: dict, files: list[Upload], channel_id: str, keep: list[dict] | None = None
    ) -> list[dict]:
        """Attachment objects for a message from payload_json `attachments` and the uploaded files."""
        by_index = {}
        for upload in files:
            m = re.fullmatch(r"files\[(\d+)\]", upload.field)
            by_index[m.group(1) if m else upload.field] = upload
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for a in body.get("attachments") or []:  # existing ones to keep (edits)
            for old in keep or []:
                if str(a.get("id")) == old["id"]:
                    out.append(old)
        for index, upload in by_index.items():
            aid = str(snowflake())
            self._files[aid] = upload
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{upload.filename}"
            meta = described.get(index, {})
            att = {
                "id": aid,
                "filename": meta.get("filename") or upload.filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            }
            if meta.get("description"):
                att["description"] = meta["description"]
            out.append(att)
        return out

    def _new_message(
        self,
        channel: dict,
        body: dict,
        files: list[Upload],
        *,
        mtype: int | None = None,
        webhook: bool = False,
        interaction: dict | None = None,
        message_id: str | None = None,
    ) -> dict:
        mid = message_id or str(snowflake())
        content = body.get("content") or ""
        embeds = [{"type": "rich", **e} for e in (body.get("embeds") or ([body["embed"]] if body.get("embed") else []))]
        msg: dict = {
            "type": 0 if mtype is None else mtype,
            "content": content,
            "mentions": self._mentions(content, guild=False),
            "mention_roles": [],
            "attachments": self._attachments(body, files, channel["id"]),
            "embeds": embeds,
            "timestamp": snowflake_iso(mid),
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            "components": copy.deepcopy(body.get("components") or []),
            "id": mid,
            "channel_id": channel["id"],
            "author": copy.deepcopy(self.bot_user),
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(body.get("tts")),
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and mtype is None:
            ref_channel = str(ref.get("channel_id") or channel["id"])
            target = self._message_index.get(str(ref["message_id"]))
            if target is None or target["channel_id"] != ref_channel:
                if ref.get("fail_if_not_exists", True):
                    errors = FormErrors()
                    errors.add(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
                    errors.raise_if_any()
            else:
                msg["type"] = 19
                msg["message_reference"] = {"type": 0, "channel_id": ref_channel, "message_id": target["id"]}
                if channel["type"] != DM:
                    msg["message_reference"]["guild_id"] = str(GUILD_ID)
                msg["referenced_message"] = copy.deepcopy(target)
                msg["referenced_message"].pop("referenced_message", None)
        if webhook:
            msg["webhook_id"] = str(APP_ID)
            msg["application_id"] = str(APP_ID)
        if interaction is not None:
            user = (interaction.get("member") or {}).get("user") or interaction.get("user")
            data = interaction.get("data") or {}
            msg["interaction_metadata"] = {
                "id": interaction["id"],
                "type": interaction["type"],
                "user": user,
                "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
            }
            if interaction["type"] == 2:
                msg["interaction_metadata"]["name"] = data.get("name")
                msg["interaction"] = {"id": interaction["id"], "type": 2, "name": data.get("name"), "user": user}
            if interaction["type"] == 3 and interaction.get("message"):
                msg["interaction_metadata"]["interacted_message_id"] = interaction["message"]["id"]
        return msg

    def _edit(self, message: dict, body: dict, files: list[Upload]) -> None:
        if "content" in body:
            message["content"] = body["content"] or ""
            message["mentions"] = self._mentions(message["content"], guild=False)
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = copy.deepcopy(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            message["flags"] = (message["flags"] & ~4) | (body["flags"] & 4)
        if "attachments" in body or files:
            old = message.get("attachments") or []
            message["attachments"] = (
                self._attachments(body, files, message["channel_id"], keep=old)
                if "attachments" in body
                else old + self._attachments(body, files, message["channel_id"])
            )
        message["edited_timestamp"] = now_iso()

    def _forget(self, message: dict) -> None:
        self._message_index.pop(message["id"], None)
        with contextlib.suppress(ValueError):
            self.messages[message["channel_id"]].remove(message)
        with contextlib.suppress(ValueError):
            self.ephemeral.remove(message)

    # routes

    async def _list_messages(self, request, record, channel_id):
        channel = self._channel(channel_id)
        self._require(channel, READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(record.query.get("limit", 50))))
        items = list(self.messages[channel_id])
        if "before" in record.query:
            items = [m for m in items if int(m["id"]) < int(record.query["before"])]
        if "after" in record.query:
            items = [m for m in items if int(m["id"]) > int(record.query["after"])][:limit]
        return 200, list(reversed(items[-limit:]))

    async def _get_message(self, request, record, channel_id, message_id):
        self._require(self._channel(channel_id), READ_MESSAGE_HISTORY)
        return 200, self._channel_message(channel_id, message_id)

    async def _post_message(self, request, record, channel_id):
        channel = self._channel(channel_id)
        if channel["type"] == FORUM:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        is_thread = channel["type"] in THREAD_TYPES
        self._require(channel, SEND_MESSAGES_IN_THREADS if is_thread else SEND_MESSAGES)
        body = record.json or {}
        if record.files:
            self._require(channel, ATTACH_FILES)
        message_errors(body, files=record.files)
        if is_thread and channel["thread_metadata"]["archived"]:
            if channel["thread_metadata"]["locked"]:
                raise DiscordError(400, 50083, "Thread is archived")
            channel["thread_metadata"]["archived"] = False
        msg = self._new_message(channel, body, record.files)
        self._store_message(msg)
        self._emit_soon("MESSAGE_CREATE", self._gateway_message(msg))
        return 200, msg

    async def _patch_message(self, request, record, channel_id, message_id):
        message = self._channel_message(channel_id, message_id)
        if message["author"]["id"] != str(BOT_ID) or message.get("webhook_id"):
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = record.json or {}
        message_errors(body, files=record.files, edit=True)
        self._edit(message, body, record.files)
        self._emit_soon("MESSAGE_UPDATE", self._gateway_message(message))
        return 200, message

    async def _delete_message(self, request, record, channel_id, message_id):
        message = self._channel_message(channel_id, message_id)
        if message["author"]["id"] != str(BOT_ID):
            self._require(self._channel(channel_id), MANAGE_MESSAGES)
        self._forget(message)
        data = {"id": message_id, "channel_id": channel_id}
        if self._is_guild_channel(channel_id):
            data["guild_id"] = str(GUILD_ID)
        self._emit_soon("MESSAGE_DELETE", data)
        return 204, None

    async def _add_reaction(self, request, record, channel_id, message_id, emoji):
        message = self._channel_message(channel_id, message_id)
        self._require(self._channel(channel_id), ADD_REACTIONS, READ_MESSAGE_HISTORY)
        name, _, eid = emoji.partition(":")
        reactions = message.setdefault("reactions", [])
        existing = next((r for r in reactions if r["emoji"]["name"] == name), None)
        if existing is None:
            reactions.append({"count": 1, "me": True, "emoji": {"id": eid or None, "name": name}})
        elif not existing["me"]:
            existing["count"] += 1
            existing["me"] = True
        return 204, None

    async def _remove_reaction(self, request, record, channel_id, message_id, emoji):
        message = self._channel_message(channel_id, message_id)
        name = emoji.partition(":")[0]
        for r in list(message.get("reactions") or []):
            if r["emoji"]["name"] == name and r["me"]:
                r["me"] = False
                r["count"] -= 1
                if not r["count"]:
                    message["reactions"].remove(r)
        return 204, None

    async def _typing(self, request, record, channel_id):
        channel = self._channel(channel_id)
        self._require(channel, SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else SEND_MESSAGES)
        return 204, None
