"""What Slack sends the app, as (body, content type): Events API envelopes and events (JSON), slash
commands (form), and interactivity payloads (form field `payload` holding JSON)."""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from .workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    USER_ID,
    USER_NAME,
    VERIFICATION_TOKEN,
)

# Aliased: message() and slash_command() take arguments of these names.
from .workspace import channel_name as _channel_name
from .workspace import channel_type as _channel_type

Payload = tuple[bytes, str]  # (body, content type)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

_event_ts_lock = threading.Lock()
_last_event_ts = [0]
_ids = itertools.count(1)


def new_ts() -> str:
    """A unique, increasing, current Slack ts ("1732544000.123456")."""
    with _event_ts_lock:
        micros = max(int(time.time() * 1_000_000), _last_event_ts[0] + 1)
        _last_event_ts[0] = micros
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


def _trigger_id() -> str:
    return f"{int(time.time())}.{next(_ids)}.{uuid.uuid4().hex}"


def _hook_url(kind: str, team_id: str) -> str:
    """A response_url on hooks.slack.com: where Slack would take respond() (use fake.response_url() to record it)."""
    return f"https://hooks.slack.com/{kind}/{team_id}/{next(_ids)}/{uuid.uuid4().hex[:24]}"


# -- Events API --------------------------------------------------------------------------------


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """The Events API envelope (JSON) around `event`."""
    event_id = event_id or f"Ev{next(_ids):08d}{uuid.uuid4().hex[:4].upper()}"
    event_time = event_time if event_time is not None else int(float(event.get("event_ts") or time.time()))
    body = {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJ{uuid.uuid4().hex[:16]}",
    }
    return json.dumps(body).encode(), JSON


def message(
    text: str,
    *,
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str | None = None,
    parent_user_id: str | None = None,
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """A user's `message` event (channel_type from the id: C channel, G group, D im); a thread
    reply when thread_ts is given."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": _rich_text(text),
        "team": team_id,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type or _channel_type(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or user
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def bot_message(
    text: str,
    *,
    bot_id: str = "B0OTHERBOT",
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    subtype: str | None = "bot_message",
    user: str | None = None,
    username: str = "otherbot",
    app_id: str = "A0OTHERAPP",
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """A bot's `message` event. `subtype="bot_message"` is the legacy/webhook shape; an app's bot
    user posting with chat.postMessage sends subtype=None with `user` (its bot user) and bot_id.
    Pass bot_id=BOT_ID, user=BOT_USER_ID, subtype=None for recap's own messages."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "bot_id": bot_id,
        "app_id": app_id,
        "channel": channel,
        "channel_type": _channel_type(channel),
        "team": team_id,
    }
    if subtype:
        event["subtype"] = subtype
        event["username"] = username
    if user:
        event["user"] = user
        event["bot_profile"] = {"id": bot_id, "app_id": app_id, "name": username, "deleted": False, "team_id": team_id}
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user or USER_ID
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def message_changed(
    text: str,
    *,
    ts: str,
    previous_text: str = "",
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """`message` / `message_changed`: the message with ts `ts` was edited to `text`."""
    event_ts = new_ts()
    new = {
        "type": "message",
        "user": user,
        "text": text,
        "team": team_id,
        "ts": ts,
        "edited": {"user": user, "ts": event_ts},
        "blocks": _rich_text(text),
        "client_msg_id": str(uuid.uuid4()),
    }
    old = {
        "type": "message",
        "user": user,
        "text": previous_text,
        "team": team_id,
        "ts": ts,
        "blocks": _rich_text(previous_text),
    }
    if thread_ts:
        new["thread_ts"] = old["thread_ts"] = thread_ts
    event = {
        "type": "message",
        "subtype": "message_changed",
        "message": new,
        "previous_message": old,
        "channel": channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": _channel_type(channel),
    }
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def app_mention(
    text: str,
    *,
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    extra: dict[str, Any] | None = None,
    **envelope: Any,
) -> Payload:
    """An `app_mention` event (text usually starts with f"<@{BOT_USER_ID}>"). Slack also sends a
    separate `message` event for the same message when the app subscribes to message.* events."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": team_id,
        "blocks": _rich_text(text),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user
    event.update(extra or {})
    return event_callback(event, team_id=team_id, **envelope)


def url_verification(
    challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", *, token: str = VERIFICATION_TOKEN
) -> Payload:
    """The Events API URL check (JSON); the app must answer the challenge."""
    return json.dumps({"token": token, "challenge": challenge, "type": "url_verification"}).encode(), JSON


# -- slash commands and interactivity ----------------------------------------------------------


def slash_command(
    text: str,
    *,
    command: str = "/recap",
    channel: str = CHANNEL_ID,
    channel_name: str | None = None,
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A slash command (form-encoded). Pass response_url=fake.response_url() to record respond()."""
    fields = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel,
        "channel_name": channel_name or _channel_name(channel),
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url or _hook_url("commands", team_id),
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode(), FORM


def block_actions(
    action_id: str,
    value: str | None = None,
    *,
    message: dict[str, Any] | None = None,
    channel: str = CHANNEL_ID,
    message_ts: str | None = None,
    block_id: str | None = None,
    button_text: str = "Button",
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    state_values: dict[str, Any] | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A button click in a message (form field `payload` = JSON). Pass message=fake.message(ch, ts)
    (or a dict with ts/thread_ts/blocks) so `message` and `container` match what the bot posted;
    block_id defaults to the block holding `action_id` in that message."""
    msg = (
        copy.deepcopy(message)
        if message is not None
        else {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team_id,
            "text": "",
            "ts": message_ts or new_ts(),
            "blocks": [],
        }
    )
    msg.pop("channel", None)
    if message_ts:
        msg["ts"] = message_ts
    if block_id is None:
        block_id = (
            next(
                (
                    b.get("block_id")
                    for b in msg.get("blocks", [])
                    if isinstance(b, dict)
                    and any(
                        isinstance(e, dict) and e.get("action_id") == action_id
                        for e in b.get("elements", []) + [b.get("accessory") or {}]
                    )
                ),
                None,
            )
            or uuid.uuid4().hex[:5]
        )
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": msg["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if msg.get("thread_ts"):
        container["thread_ts"] = msg["thread_ts"]
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "type": "button",
        "action_ts": new_ts(),
    }
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": _channel_name(channel)},
        "message": msg,
        "state": {"values": state_values or {}},
        "response_url": response_url or _hook_url("actions", team_id),
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str = "",
    view: dict[str, Any] | None = None,
    view_id: str | None = None,
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A modal submitted (form field `payload` = JSON). `values` is {block_id: {action_id: value}}
    where a str value becomes {"type": "plain_text_input", "value": str} and a dict is used as is.
    Pass view=fake.views[view_id] to submit the view the bot opened (its blocks, hash, ids)."""
    state = {
        block: {
            action: ({"type": "plain_text_input", "value": v} if isinstance(v, str) or v is None else v)
            for action, v in actions.items()
        }
        for block, actions in values.items()
    }
    base = (
        copy.deepcopy(view)
        if view is not None
        else {
            "id": view_id or f"V{next(_ids):010d}",
            "team_id": team_id,
            "type": "modal",
            "blocks": [
                {
                    "type": "input",
                    "block_id": block,
                    "label": {"type": "plain_text", "text": block, "emoji": True},
                    "optional": False,
                    "dispatch_action": False,
                    "element": {
                        "type": "plain_text_input",
                        "action_id": action,
                        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
                    },
                }
                for block, actions in values.items()
                for action in actions
            ],
            "title": {"type": "plain_text", "text": "Ask a question", "emoji": True},
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Ask", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        }
    )
    base.setdefault("root_view_id", base["id"])
    base.update(
        {
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": state},
            "hash": base.get("hash") or f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        }
    )
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or _trigger_id(),
        "view": base,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def message_action(
    callback_id: str,
    message: dict[str, Any],
    *,
    channel: str = CHANNEL_ID,
    user: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
    response_url: str | None = None,
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> Payload:
    """A message shortcut chosen on `message` (form field `payload` = JSON): Slack's
    `message_action`, with the whole message as the channel shows it (text, ts, thread_ts, user)."""
    msg = copy.deepcopy(message)
    msg.pop("channel", None)
    msg.setdefault("type", "message")
    msg.setdefault("ts", new_ts())
    payload = {
        "type": "message_action",
        "token": token,
        "action_ts": new_ts(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN, **({"enterprise_id": enterprise_id} if enterprise_id else {})},
        "user": {"id": user, "username": user_name, "team_id": team_id, "name": user_name},
        "channel": {"id": channel, "name": _channel_name(channel)},
        "is_enterprise_install": is_enterprise_install,
        "enterprise": {"id": enterprise_id, "name": "Grid"} if enterprise_id else None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "response_url": response_url or _hook_url("app", team_id),
        "message_ts": msg["ts"],
        "message": msg,
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM
