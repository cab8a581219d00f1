"""The App Home tab and the channel settings modal admins open from it, in Block Kit.

The Home tab says how to use recap, lists the workspace's recent digests (each a link to its
thread) and, for admins, offers the settings `/recap settings` changes, in a modal.
"""

from __future__ import annotations

from typing import Any

from bot.assistant import RecentDigest, help_text
from bot.preferences import REPLIES, WRITERS

from .blocks import escape, link

ACTION_OPEN_SETTINGS = "recap_open_settings"
SETTINGS_MODAL_CALLBACK = "recap_settings_modal"
CHANNEL_BLOCK, CHANNEL_ACTION = "recap_settings_channel", "channel"
# The settings the modal offers, each `/recap settings NAME VALUE` as a menu: (name, label, choices).
MENUS = (
    ("auto", "Summarise links pasted in the channel", ("on", "off")),
    ("replies", "Replies answered in digest threads", REPLIES),
    ("writer", "Who writes the digests", ("default", *WRITERS)),
)
LANGUAGE_BLOCK, LANGUAGE_ACTION = "recap_settings_language", "language"
UNCHANGED = "unchanged"
SHOWN_DIGESTS = 10
TITLE_MAX = 200
NOTE_MAX = 1000  # a context element holds 2000 characters; escaping may grow the text


def home_view(
    digests: list[RecentDigest], base_url: str | None, admin: bool, note: str | None = None
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "recap", "emoji": True}},
        _section(escape(help_text("slack"))),
        {"type": "divider"},
        _section("*Recent digests in this workspace*"),
    ]
    for d in digests[:SHOWN_DIGESTS]:
        place = f"<#{d.thread.channel}>"
        url = permalink(base_url, d.thread.channel, d.thread.thread) if base_url else None
        name = d.title if len(d.title) <= TITLE_MAX else d.title[: TITLE_MAX - 1] + "…"
        title = link(url, name) if url else f"*{escape(name)}*"
        blocks.append(_section(f"{title}\nin {place}"))
    if not digests:
        blocks.append(_section("No digests yet: paste a video link in a channel recap is in."))
    if admin:
        blocks += [
            {"type": "divider"},
            _section("*Settings (admins)*\nAuto-summarise, replies, writer and language, for one channel at a time."),
            {
                "type": "actions",
                "block_id": "recap_home_settings",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Channel settings", "emoji": True},
                        "action_id": ACTION_OPEN_SETTINGS,
                    }
                ],
            },
        ]
    if note:
        blocks.insert(
            2, {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note[:NOTE_MAX]), "verbatim": True}]}
        )
    return {"type": "home", "blocks": blocks}


def settings_modal() -> dict[str, Any]:
    """The same changes as `/recap settings NAME VALUE`, for a channel picked in the modal."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": CHANNEL_BLOCK,
            "label": {"type": "plain_text", "text": "Channel"},
            "element": {"type": "conversations_select", "action_id": CHANNEL_ACTION},
        }
    ]
    for name, label, choices in MENUS:
        blocks.append(
            {
                "type": "input",
                "block_id": f"recap_settings_{name}",
                "optional": True,
                "label": {"type": "plain_text", "text": label},
                "element": {
                    "type": "static_select",
                    "action_id": name,
                    "placeholder": {"type": "plain_text", "text": "Leave as it is"},
                    "options": [_option(c) for c in choices],
                },
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": LANGUAGE_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Language of the digests (fr, pt-br, default)"},
            "element": {"type": "plain_text_input", "action_id": LANGUAGE_ACTION, "max_length": 16},
        }
    )
    return {
        "type": "modal",
        "callback_id": SETTINGS_MODAL_CALLBACK,
        "title": {"type": "plain_text", "text": "Channel settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def submitted_settings(values: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The channel picked and the `{name: value}` changes of a submitted settings modal."""
    channel = (values.get(CHANNEL_BLOCK) or {}).get(CHANNEL_ACTION, {}).get("selected_conversation")
    changes: dict[str, str] = {}
    for name, _, _ in MENUS:
        selected = (values.get(f"recap_settings_{name}") or {}).get(name, {}).get("selected_option")
        if selected:
            changes[name] = selected["value"]
    language = ((values.get(LANGUAGE_BLOCK) or {}).get(LANGUAGE_ACTION, {}).get("value") or "").strip()
    if language:
        changes["language"] = language
    return channel, changes


def permalink(base_url: str, channel: str, ts: str | None) -> str | None:
    """Slack's link to a message, as chat.getPermalink makes it, from the workspace's URL (auth.test)."""
    if not ts or not base_url.startswith("https://"):
        return None
    return f"{base_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}
