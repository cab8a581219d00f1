"""A channel's settings as people change them: `auto on`, `language fr`, `writer default`.

Slack reads them from the command's words and Discord from its options; both hand over the same
plain `{name: value}` pairs, so validation and wording are one and the same on every platform.
"""

from __future__ import annotations

import re

from .chatstore import ChannelSettings

USAGE = (
    "Usage: /recap settings auto on|off · /recap settings language CODE|default · "
    "/recap settings writer extractive|claude|openai|default · /recap settings replies addressed|all"
)
# In a digest thread: answer only what is addressed to recap, or every reply (people may prefer it
# in a channel that exists to discuss videos with recap).
REPLIES = ("addressed", "all")
WRITERS = ("extractive", "claude", "openai")
# A BCP 47 language tag as people type them: "fr", "pt-br", "zh-hant".
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


class Invalid(ValueError):
    """A change that is not one recap understands; the message says what is."""


def describe(s: ChannelSettings) -> str:
    return (
        f"In this channel: auto-summarise pasted links {'on' if s.auto_summarize else 'off'} · "
        f"language {s.language or 'of each video'} · writer {s.writer or 'default'} · "
        f"replies answered in digest threads: {'all' if s.every_reply else 'addressed to recap'}"
    )


def changed(current: ChannelSettings, changes: dict[str, str]) -> ChannelSettings:
    """`current` with `changes` applied, or `Invalid` naming the first change that is not valid."""
    auto, language, writer, every_reply = current.auto_summarize, current.language, current.writer, current.every_reply
    for name, raw in changes.items():
        value = raw.strip().lower()
        if name == "auto" and value in ("on", "off", "true", "false"):
            auto = value in ("on", "true")
        elif name == "language" and (value == "default" or _LANGUAGE.fullmatch(value)):
            language = None if value == "default" else value
        elif name == "writer" and (value == "default" or value in WRITERS):
            writer = None if value == "default" else value
        elif name == "replies" and value in REPLIES:
            every_reply = value == "all"
        else:
            raise Invalid(f"'{name} {value[:40]}' is not a setting recap knows. {USAGE}")
    return ChannelSettings(auto, language, writer, every_reply)
