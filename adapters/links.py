"""Links in chat text, found the way each platform writes them, handed to the bot as plain URLs.

Slack delivers `<url|label>` and `<url>` with `&`, `<` and `>` escaped, and its mentions, channels
and broadcasts as `<…>` tokens. Discord writes masked links `[label](url)`, `<url>` for a link
without a preview, and bare URLs inside its markdown. Both also carry bare URLs typed in prose,
where closing punctuation belongs to the sentence rather than the URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

_BARE = r"(?P<bare>https?://[^\s<>\"`|]+)"
_SLACK = re.compile(
    r"""
      <(?P<angled>https?://[^\s<>|]+)(?:\|[^<>]*)?>  # <url|label>, <url>
    | <(?!https?://)[^\s<>|]+(?:\|[^<>]*)?>          # <@U1>, <#C1|x>, <!here>, <mailto:..>
    | """
    + _BARE,
    re.VERBOSE | re.IGNORECASE,
)
_DISCORD = re.compile(
    r"""
      <(?P<angled>https?://[^\s<>|]+)>              # <url>: a link without an embed
    | \[[^\]]*\]\(\s*<?(?P<masked>https?://(?:[^\s()<>]|\([^\s()<>]*\))+)>?\s*\)  # [label](url)
    | """
    + _BARE,
    re.VERBOSE | re.IGNORECASE,
)
# Closing punctuation that ends a sentence or a quotation rather than the URL.
_TRAILING = set(".,;:!?'\"*~>\u2026\u00bb\u201d\u2019")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Slack escapes exactly these three in message text; a full HTML unescape would turn a real
# "&copy=1" query into "©=1".
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def slack_links(text: str) -> list[str]:
    """The http(s) URLs in Slack message text, in order, each once, as the sender meant them."""
    return _collect(_SLACK, text, _unescape_slack)


def discord_links(text: str) -> list[str]:
    """The http(s) URLs in Discord message content, in order, each once."""
    return _collect(_DISCORD, text, lambda url: url)


def _collect(pattern: re.Pattern[str], text: str, unescape: Callable[[str], str]) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(text):
        groups = match.groupdict()
        raw = groups.get("angled") or groups.get("masked") or groups.get("bare")
        if not raw:
            continue  # a mention, channel, broadcast or mailto token
        url = unescape(raw)
        if groups.get("bare"):
            url = _trim(url)
        if urlsplit(url).hostname and url not in found:
            found.append(url)
    return found


def _trim(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence: "(see https://x/a_(b))." keeps
    the balanced ")" of the URL and loses the one that closes the remark."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last]):
            url = url[:-1]
        else:
            break
    return url


def _unescape_slack(url: str) -> str:
    for escaped, plain in _SLACK_ESCAPES:
        url = url.replace(escaped, plain)
    return url
