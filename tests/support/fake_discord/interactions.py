"""REST routes for interaction callbacks and the interaction webhooks (followups, @original).

Callback types 4, 5, 6, 7, 8, 9; past the 3-second deadline -> 10062; twice -> 40060. The first
followup after a type-5 defer replaces the "thinking" message, as on Discord.
"""

from __future__ import annotations

import asyncio
import copy

from .guild import APP_ID
from .limits import DiscordError, message_errors, modal_errors, not_found
from .records import InteractionRecord


class InteractionRoutes:
    """The interaction routes of FakeDiscord (mixed into it); `interactions` holds what was dispatched."""

    def _interaction_by(self, interaction_id: str, token: str) -> InteractionRecord:
        rec = self.interactions.get(interaction_id)
        if rec is None or rec.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return rec

    def _interaction_from_webhook(self, app_id: str, token: str) -> InteractionRecord:
        rec = next((r for r in self.interactions.values() if r.token == token), None)
        if app_id != str(APP_ID) or rec is None or rec.response_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        return rec

    def _interaction_channel(self, rec: InteractionRecord) -> dict:
        channel = self.channels.get(rec.payload["channel_id"])
        if channel is None:
            channel = {**rec.payload["channel"]}
        return channel

    def _response_message_type(self, rec: InteractionRecord) -> int:
        if rec.payload["type"] == 2:
            return 23 if (rec.payload.get("data") or {}).get("type", 1) in (2, 3) else 20
        return 0

    def _keep(self, msg: dict) -> None:
        if msg["flags"] & 64:
            self.ephemeral.append(msg)
            self._message_index[msg["id"]] = msg
        else:
            self._store_message(msg)
            self._emit_soon("MESSAGE_CREATE", self._gateway_message(msg))

    async def _interaction_callback(self, request, record, interaction_id, token):
        rec = self._interaction_by(interaction_id, token)
        if asyncio.get_running_loop().time() - rec.created > self.interaction_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        if rec.response_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        body = record.json or {}
        rtype = body.get("type")
        itype = rec.payload["type"]
        allowed = {
            2: {4, 5, 9, 12},
            3: {4, 5, 6, 7, 9, 12},
            4: {8},
            5: {4, 5, 6, 7} if rec.payload.get("message") else {4, 5},
        }
        if rtype not in allowed.get(itype, set()):
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": "Interaction response type is invalid",
                            }
                        ]
                    }
                },
            )
        data = body.get("data") or {}
        channel = self._interaction_channel(rec)
        resource: dict | None = None
        ephemeral = False
        if rtype == 4:
            message_errors(data, files=record.files, prefix=("data",))
            msg = self._new_message(
                channel,
                data,
                record.files,
                mtype=self._response_message_type(rec),
                webhook=True,
                interaction=rec.payload,
            )
            self._keep(msg)
            rec.original_id = msg["id"]
            ephemeral = bool(msg["flags"] & 64)
            resource = {"type": 4, "message": msg}
        elif rtype == 5:
            flags = 128 | ((data.get("flags") or 0) & 64)
            msg = self._new_message(
                channel,
                {"flags": flags},
                [],
                mtype=self._response_message_type(rec),
                webhook=True,
                interaction=rec.payload,
            )
            self._keep(msg)
            rec.original_id, rec.loading = msg["id"], True
            ephemeral = bool(flags & 64)
            resource = {"type": 5, "message": msg}
        elif rtype == 6:
            rec.original_id = rec.payload["message"]["id"]
        elif rtype == 7:
            message_errors(data, files=record.files, prefix=("data",), edit=True)
            target = self._message_index.get(rec.payload["message"]["id"])
            if target is None:
                raise not_found("Message", 10008)
            self._edit(target, data, record.files)
            rec.original_id = target["id"]
            if not target["flags"] & 64:
                self._emit_soon("MESSAGE_UPDATE", self._gateway_message(target))
            resource = {"type": 7, "message": target}
        elif rtype == 9:
            modal_errors(data)
            self.modals.append({"data": copy.deepcopy(data), "interaction": rec.payload})
        rec.response_type, rec.response = rtype, body
        if record.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        answer: dict = {"interaction": {"id": rec.id, "type": itype}}
        if rec.original_id is not None and rtype in (4, 5, 7):
            answer["interaction"].update(
                response_message_id=rec.original_id,
                response_message_loading=rtype == 5,
                response_message_ephemeral=ephemeral,
            )
        if resource is not None:
            answer["resource"] = resource
        elif rtype in (6, 8, 9):
            answer["resource"] = {"type": rtype}
        return 200, answer

    def _webhook_message(self, rec: InteractionRecord, message_ref: str) -> dict:
        mid = rec.original_id if message_ref == "@original" else message_ref
        if mid is None or (message_ref != "@original" and mid not in rec.followup_ids and mid != rec.original_id):
            raise not_found("Message", 10008)
        message = self._message_index.get(mid)
        if message is None:
            raise not_found("Message", 10008)
        return message

    async def _webhook_execute(self, request, record, app_id, token):
        rec = self._interaction_from_webhook(app_id, token)
        body = record.json or {}
        message_errors(body, files=record.files)
        channel = self._interaction_channel(rec)
        if rec.loading and rec.response_type == 5 and rec.original_id:
            # the first followup after a deferred response replaces the "thinking" message
            msg = self._message_index[rec.original_id]
            self._edit(msg, body, record.files)
            msg["flags"] = (msg["flags"] & 64) | ((body.get("flags") or 0) & 4)
            msg["edited_timestamp"] = None
            rec.loading = False
            if not msg["flags"] & 64:
                self._emit_soon("MESSAGE_UPDATE", self._gateway_message(msg))
        else:
            msg = self._new_message(
                channel,
                body,
                record.files,
                webhook=True,
                interaction=rec.payload,
                mtype=0 if not body.get("message_reference") else None,
            )
            self._keep(msg)
        rec.followup_ids.append(msg["id"])
        if record.query.get("wait") not in ("1", "true", "True"):
            return 204, None
        return 200, msg

    async def _webhook_get(self, request, record, app_id, token, message_ref):
        rec = self._interaction_from_webhook(app_id, token)
        return 200, self._webhook_message(rec, message_ref)

    async def _webhook_edit(self, request, record, app_id, token, message_ref):
        rec = self._interaction_from_webhook(app_id, token)
        message = self._webhook_message(rec, message_ref)
        body = record.json or {}
        message_errors(body, files=record.files, edit=True)
        self._edit(message, body, record.files)
        if message["id"] == rec.original_id and rec.loading:
            message["flags"] &= ~128
            rec.loading = False
        if not message["flags"] & 64:
            self._emit_soon("MESSAGE_UPDATE", self._gateway_message(message))
        return 200, message

    async def _webhook_delete(self, request, record, app_id, token, message_ref):
        rec = self._interaction_from_webhook(app_id, token)
        message = self._webhook_message(rec, message_ref)
        self._forget(message)
        return 204, None
