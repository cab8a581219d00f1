"""yt-dlp's error text, translated into one line a person can act on.

yt-dlp reports nearly everything as `DownloadError` with the site's own wording inside, so the
translation is a table of phrases. The phrases are the ones yt-dlp and YouTube print today; an
unknown failure still gets a short, honest line with the original reason.
"""

from __future__ import annotations

import re

from . import netguard
from .errors import (
    BlockedAddress,
    FetchFailed,
    NotAllowed,
    NotAVideoLink,
    NotConfigured,
    RecapError,
    UnsupportedSite,
    VideoUnavailable,
)

COOKIES_HINT = "set RECAP_COOKIES_FILE to a cookies.txt exported from a signed-in browser, or RECAP_PROXY"

# (pattern in yt-dlp's message, error class, message); first match wins.
_TABLE: list[tuple[str, type[RecapError], str]] = [
    (
        r"confirm you.re not a bot|not a bot",
        FetchFailed,
        f"The site asked recap to prove it is not a bot; {COOKIES_HINT}.",
    ),
    (
        r"HTTP Error 429|Too Many Requests",
        FetchFailed,
        f"The site is rate-limiting recap (HTTP 429) even after backing off; try later, or {COOKIES_HINT}.",
    ),
    (
        r"members.only|Join this channel|available to this channel's members",
        VideoUnavailable,
        f"That video is for channel members only; {COOKIES_HINT} of a member's account.",
    ),
    (r"confirm your age|age.restricted", VideoUnavailable, f"That video is age-restricted; {COOKIES_HINT}."),
    (
        r"Private video|This video is private",
        VideoUnavailable,
        "That video is private; recap can only summarise videos it is allowed to watch.",
    ),
    (
        r"HTTP Error 404|404: Not Found|Not Found",
        VideoUnavailable,
        "Nothing was found at that link (HTTP 404); check that it is complete and public.",
    ),
    (
        r"HTTP Error 40[13]",
        VideoUnavailable,
        "The site refused access to that video (HTTP 401/403); it may need a login ({hint}).",
    ),
    (
        r"Video unavailable|This video is unavailable|has been removed|no longer available",
        VideoUnavailable,
        "That video is unavailable: removed, blocked in this region or never published.",
    ),
    (
        r"This live event will begin|Premieres in|is_upcoming",
        NotAllowed,
        "That live stream has not started yet; post the link again once it has ended.",
    ),
    (
        r"Unsupported URL",
        UnsupportedSite,
        "recap found no video at that link: the site is not supported or the page holds no media.",
    ),
    (
        r"No video formats found|Requested format is not available|Only images are available",
        UnsupportedSite,
        "The page has no media recap can download.",
    ),
    (r"is not a valid URL", NotAVideoLink, "That is not a valid video link."),
    (
        r"Name or service not known|nodename nor servname|getaddrinfo failed|Failed to resolve",
        VideoUnavailable,
        "The site's address could not be found; check the link.",
    ),
    (
        r"timed out|Read timed out|Connection reset|Connection refused",
        FetchFailed,
        "The site did not answer in time; try again in a minute.",
    ),
]


def explain(exc: BaseException, warnings: list[str], runtimes: list[str]) -> RecapError:
    """The `RecapError` a user should see for a yt-dlp failure."""
    blocked = netguard.blocked_reason(exc)
    if blocked:
        return BlockedAddress(blocked)
    message = str(exc)
    if not runtimes and _needs_js(message, warnings):
        return NotConfigured(
            "YouTube needs a JavaScript runtime to hand out media: install deno or Node.js (20+) and make sure "
            "it is on the PATH (yt-dlp-ejs, installed with recap, does the rest)."
        )
    for pattern, cls, text in _TABLE:
        if re.search(pattern, message, re.IGNORECASE):
            error = cls(text.replace("{hint}", COOKIES_HINT))
            error.rate_limited = pattern.startswith("HTTP Error 429")  # type: ignore[attr-defined]
            return error
    return FetchFailed(f"yt-dlp could not fetch that video: {_short(message)}")


def _needs_js(message: str, warnings: list[str]) -> bool:
    said = any("JavaScript runtime" in w or "n challenge" in w for w in warnings)
    return said and bool(re.search(r"format is not available|No video formats|Sign in|n challenge", message))


def _short(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    line = re.sub(r"^(ERROR:\s*)?(\[[\w:]+\]\s*[\w-]*:\s*)?", "", line)
    return line[:200]
