"""Discord markdown for untrusted text and recap's own links.

Text from videos (titles, transcript quotes, writers' prose) is untrusted: `escape` runs it through
`discord.utils.escape_markdown`, also escapes every `[`/`]` (no forged masked links) and the `<` of
`<@…>`, `<#…>`, `<t:…>`, `</…>` and `<:emoji:…>` tokens, then `discord.utils.escape_mentions`, so it can
neither ping (`@everyone`, `<@123>`) nor format nor link. recap's own timestamp links are added after
escaping, as `[[mm:ss]](deep link)`.
"""

from __future__ import annotations

import re

import discord

from adapters.markup import Markup, one_line
from adapters.textfit import TextFit

_MENTIONISH = re.compile(
    r"\\.|(?P<url><[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s])|"
    r"(?P<bracket>[\[\]])|(?P<angle><(?=[@#/]|a?:|t:))",
    re.DOTALL,
)
_LIST_START = re.compile(r"^(?:(?P<plus>\+)|(?P<number>\d+)\.)(?=\s)")  # "+ item", "1. item"
_STAMP = re.compile(r"\[\d+(?::\d\d){1,2}\]")


def escape(text: str) -> str:
    """Untrusted text for Discord markdown, shown as written: no formatting, no links, no mentions.

    `escape_markdown` runs line by line, on each line less its indent: on a whole text its `^\\s*-`
    spans blank lines and leaves "a\\n\\n- b" a list, and on an indented line it writes a stray `\\`.
    Bare URLs stay clickable (Discord links them itself; escaping would change them).
    """
    lines = []
    for line in text.split("\n"):
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        body = _LIST_START.sub(
            lambda m: "\\+" if m.group("plus") else m.group("number") + "\\.", discord.utils.escape_markdown(body)
        )
        lines.append(indent + body)
    text = _MENTIONISH.sub(_escape_token, "\n".join(lines))
    return discord.utils.escape_mentions(text)


def _escape_token(m: re.Match[str]) -> str:
    if m.group("bracket") or m.group("angle"):
        return "\\" + m.group()
    return m.group()  # an escape sequence or a URL: as it is


def link(url: str | None, label: str) -> str:
    """`[label](url)` with the label escaped; just the escaped label when there is no web URL.

    Timestamp labels like `[1:02]` are recap's own and kept as they are: `[[1:02]](url)`.
    """
    shown = label if _STAMP.fullmatch(label) else escape(one_line(label))
    if not url or not url.lower().startswith(("http://", "https://")):
        return shown
    for raw, encoded in (
        ("(", "%28"),
        (")", "%29"),
        (" ", "%20"),
        ("<", "%3C"),
        (">", "%3E"),
        ("\\", "%5C"),
        ("\n", ""),
        ("\r", ""),
        ("\t", ""),
    ):
        url = url.replace(raw, encoded)
    return f"[{shown}]({url})"


MARKUP = Markup(escape, link, bold="**")

# Where escaped markdown may be cut: never inside recap's masked links, a backslash escape, or the
# zero-width space `escape_mentions` puts after an `@`.
_LINK = r"\[(?:\[[^\[\]\n]*\]|\\.|[^\[\]\n\\])*\]\([^()\s]*\)"
MARKDOWN = TextFit(_LINK + r"|\\.|@\u200b")
