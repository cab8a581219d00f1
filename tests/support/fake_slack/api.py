"""The Web API methods the fake answers, each `(fake, params) -> the fields of an ok answer`.

FakeSlack calls them with its lock held, after auth and scripted failures; a SlackError raised
here is answered as the API's `{"ok": false, ...}`."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .files import files_complete_upload, files_get_upload_url, files_info
from .limits import MAX_MESSAGE_BLOCKS, MAX_TEXT, SlackError, validate_blocks, validate_view
from .oauth import oauth_v2_access
from .workspace import USER_ID, bot_profile, synth_channel, synth_user

if TYPE_CHECKING:
    from .server import FakeSlack


def auth_test(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"https://{fake.team_domain}.slack.com/",
        "team": fake.team,
        "user": fake.bot_name,
        "team_id": fake.team_id,
        "user_id": fake.bot_user_id,
        "bot_id": fake.bot_id,
        "is_enterprise_install": False,
    }


# -- chat.* ------------------------------------------------------------------------------------


def _content(p: dict[str, Any]) -> dict[str, Any]:
    """Validated text / blocks / attachments of a chat.* call."""
    text = p.get("text")
    blocks = p.get("blocks")
    attachments = p.get("attachments")
    if text is not None and not isinstance(text, str):
        text = str(text)
    if blocks is not None:
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        problems = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
        if problems:
            raise SlackError("invalid_blocks", problems)
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if text is not None and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    out: dict[str, Any] = {}
    if text is not None:
        out["text"] = text
    if blocks is not None:
        out["blocks"] = _with_block_ids(blocks)
    if attachments is not None:
        out["attachments"] = copy.deepcopy(attachments)
    return out


def _with_block_ids(blocks: list[Any]) -> list[Any]:
    """Slack fills in a block_id for every block that has none; apps read them back in actions."""
    out = copy.deepcopy(blocks)
    for block in out:
        if isinstance(block, dict) and "block_id" not in block:
            block["block_id"] = uuid.uuid4().hex[:5]
    return out


def chat_post_message(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    channel = p.get("channel")
    if not channel:
        raise SlackError("channel_not_found")
    content = _content(p)
    ts = fake.next_ts()
    message: dict[str, Any] = {
        "user": fake.bot_user_id,
        "type": "message",
        "ts": ts,
        "bot_id": fake.bot_id,
        "app_id": fake.app_id,
        "text": content.get("text", ""),
        "team": fake.team_id,
        "bot_profile": bot_profile(fake),
    }
    message.update({k: v for k, v in content.items() if k != "text"})
    if p.get("metadata") is not None:
        message["metadata"] = p["metadata"]
    thread_ts = p.get("thread_ts")
    if thread_ts:
        thread_ts = str(thread_ts)
        message["thread_ts"] = thread_ts
        parent = fake._messages.get((channel, thread_ts))
        message["parent_user_id"] = parent["user"] if parent else USER_ID
        if parent is not None:
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
            parent["reply_users"] = sorted({*parent.get("reply_users", []), fake.bot_user_id})
            parent["reply_users_count"] = len(parent["reply_users"])
    fake._messages[(channel, ts)] = message
    return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}


def chat_update(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    channel, ts = p.get("channel"), p.get("ts")
    if not channel:
        raise SlackError("channel_not_found")
    if not ts:
        raise SlackError("message_not_found")
    message = fake._messages.get((channel, str(ts)))
    if message is None:
        raise SlackError("message_not_found")
    content = _content(p)
    message.update(content)
    message["edited"] = {"user": fake.bot_user_id, "ts": fake.next_ts()}
    echo = {k: v for k, v in message.items() if k not in ("ts", "type", "team", "thread_ts", "parent_user_id")}
    return {"channel": channel, "ts": str(ts), "text": message.get("text", ""), "message": copy.deepcopy(echo)}


def chat_post_ephemeral(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    channel, user = p.get("channel"), p.get("user")
    if not channel:
        raise SlackError("channel_not_found")
    if not user:
        raise SlackError("user_not_found")
    content = _content(p)
    ts = fake.next_ts()
    fake.ephemerals.append({"channel": channel, "user": user, "ts": ts, "thread_ts": p.get("thread_ts"), **content})
    return {"message_ts": ts}


def chat_delete(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    channel, ts = p.get("channel"), p.get("ts")
    if not channel:
        raise SlackError("channel_not_found")
    if not ts or (channel, str(ts)) not in fake._messages:
        raise SlackError("message_not_found")
    del fake._messages[(channel, str(ts))]
    return {"channel": channel, "ts": str(ts)}


# -- views.* -----------------------------------------------------------------------------------


def _view_from(p: dict[str, Any]) -> dict[str, Any]:
    view = p.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", ["view must be a JSON object [json-pointer:/view]"])
    problems = validate_view(view)
    if problems:
        raise SlackError("invalid_arguments", problems)
    return view


def _store_view(fake: FakeSlack, view: dict[str, Any], view_id: str, root: str, previous: str | None) -> dict[str, Any]:
    stored = {
        "id": view_id,
        "team_id": fake.team_id,
        "type": view.get("type", "modal"),
        "blocks": _with_block_ids(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": previous,
        "root_view_id": root,
        "app_id": fake.app_id,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": fake.team_id,
        "bot_id": fake.bot_id,
    }
    fake.views[view_id] = stored
    return copy.deepcopy(stored)


def views_open(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    trigger = p.get("trigger_id")
    if not trigger:
        raise SlackError("invalid_arguments", ["missing required field: trigger_id"])
    if trigger in fake._used_triggers:
        raise SlackError("exchanged_trigger_id")
    view = _view_from(p)
    fake._used_triggers.add(trigger)
    view_id = fake._new_id("V")
    return {"view": _store_view(fake, view, view_id, view_id, None)}


def views_update(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    view = _view_from(p)
    view_id = p.get("view_id")
    if not view_id and p.get("external_id"):
        view_id = next((v["id"] for v in fake.views.values() if v["external_id"] == p["external_id"]), None)
    old = fake.views.get(view_id or "")
    if old is None:
        raise SlackError("not_found")
    if p.get("hash") and p["hash"] != old["hash"]:
        raise SlackError("hash_conflict")
    return {"view": _store_view(fake, view, old["id"], old["root_view_id"], old["previous_view_id"])}


def views_publish(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    """A user's Home tab: the same limits as other views, and only a view of type "home"."""
    user = p.get("user_id")
    if not user:
        raise SlackError("invalid_arguments", ["missing required field: user_id"])
    view = _view_from(p)
    if view.get("type") != "home":
        raise SlackError("invalid_arguments", ["must be home [json-pointer:/view/type]"])
    old = fake.homes.get(user)
    if old is not None and p.get("hash") and p["hash"] != old["hash"]:
        raise SlackError("hash_conflict")
    view_id = old["id"] if old else fake._new_id("V")
    stored = _store_view(fake, view, view_id, view_id, None)
    fake.homes[user] = fake.views[view_id]
    return {"view": stored}


# -- the rest ----------------------------------------------------------------------------------


def conversations_info(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    cid = p.get("channel")
    if not cid:
        raise SlackError("channel_not_found")
    info = copy.deepcopy(fake._channels.get(cid) or synth_channel(fake, cid))
    if str(p.get("include_num_members", "")).lower() in ("1", "true") and not info.get("is_im"):
        info.setdefault("num_members", 3)
    return {"channel": info}


def users_info(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    uid = p.get("user")
    if not uid:
        raise SlackError("user_not_found")
    return {"user": copy.deepcopy(fake._users.get(uid) or synth_user(fake, uid))}


def reactions_add(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    channel, ts, name = p.get("channel"), p.get("timestamp"), p.get("name")
    if not channel or not ts:
        raise SlackError("no_item_specified")
    if not name:
        raise SlackError("invalid_name")
    name = str(name).strip(":")
    key = (channel, str(ts), name)
    if key in fake.reactions:
        raise SlackError("already_reacted")
    fake.reactions.append(key)
    return {}


def apps_connections_open(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    ticket = uuid.uuid4()
    base = fake.socket_url or f"ws://127.0.0.1:{fake.port}/link/"  # the fake itself speaks no websocket
    return {"url": f"{base}?ticket={ticket}&app_id={fake.app_id}"}


METHODS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.delete": chat_delete,
    "files.getUploadURLExternal": files_get_upload_url,
    "files.completeUploadExternal": files_complete_upload,
    "files.info": files_info,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "conversations.info": conversations_info,
    "users.info": users_info,
    "reactions.add": reactions_add,
    "apps.connections.open": apps_connections_open,
    "oauth.v2.access": oauth_v2_access,
}
