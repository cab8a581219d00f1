"""Video links: naming each video once however it was spelled, and linking to a moment of it.

Finding links in chat text is the chat adapters' job (adapters/links.py): each knows its markup.

The key decides whether a video was seen before (its transcript is stored under it), so every
spelling of one YouTube or Vimeo video must give the same key, and tracking junk in any other
URL must not make the same page look new.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import NotAVideoLink

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = {
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "igsh",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "si",
    "ref",
    "ref_src",
    "ref_url",
    "spm",
}

_YOUTUBE_HOSTS = {"youtube.com", "youtube-nocookie.com", "youtu.be"}
_YOUTUBE_PATHS = {"shorts", "embed", "live", "v", "e"}  # /<kind>/<id>
_YOUTUBE_CHANNEL_PATHS = {"channel", "c", "user"}
# An id may be followed by junk pasted with it ("ID&t=10" typed without a "?").
_YOUTUBE_ID = re.compile(r"^([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_VIMEO_HASH = re.compile(r"^[0-9a-f]{8,}$")  # the secret part of an unlisted video's link
# What an `?h=` hash may look like: it lands in the key (at most 128 characters) and in the path of
# the URL fetched, so anything else is a damaged link, refused rather than guessed at.
_VIMEO_QUERY_HASH = re.compile(r"^[0-9A-Za-z]{1,64}$")


class _Target(NamedTuple):
    kind: str  # "youtube", "vimeo" or "url"
    ident: str  # video id (with what grants access to it), or the hash of the normalised URL
    url: str  # what to fetch


def video_key(url: str) -> str:
    """`youtube:<id>`, `vimeo:<id>`, `vimeo:<id>:<unlisted hash>` or `url:<hash>`: one key per video,
    however it was linked.

    Whatever in a link grants access is part of the key: what is stored under a key is served to
    anyone whose link gives that key, so an unlisted video must not share its public id's key.
    Other sites' share tokens stay in the normalised URL that `url:` keys hash; YouTube's unlisted
    videos are reached by their id alone, so their id is the whole secret.
    """
    target = _identify(url)
    return f"{target.kind}:{target.ident}"


def canonical_url(url: str) -> str:
    """The one URL to fetch for this video."""
    return _identify(url).url


def deep_link(url: str, seconds: float) -> str:
    """A link that opens the video at `seconds`, or "" when there is no web page to link to."""
    try:
        target = _identify(url)
    except NotAVideoLink:
        return ""  # a local file, or a page that is not one video: nothing to click
    at = max(0, int(seconds))
    if target.kind == "youtube":
        return f"{target.url}&t={at}s"
    if target.kind == "vimeo":
        return f"{target.url}#t={at}s"
    return f"{target.url}#t={at}"  # W3C media fragment: what browsers' players understand


# --- identifying -----------------------------------------------------------------------------


def _identify(url: str) -> _Target:
    parts = _web_parts(url)
    host = _bare_host(parts.hostname or "")
    if host in _YOUTUBE_HOSTS or host.endswith(".youtube.com"):
        video_id = _youtube_id(host, parts)
        return _Target("youtube", video_id, f"https://www.youtube.com/watch?v={video_id}")
    if host == "vimeo.com" or host.endswith(".vimeo.com"):
        vimeo = _vimeo_id(parts)
        if vimeo is not None:
            video_id, secret = vimeo
            if secret:
                return _Target("vimeo", f"{video_id}:{secret}", f"https://vimeo.com/{video_id}/{secret}")
            return _Target("vimeo", video_id, f"https://vimeo.com/{video_id}")
    normalised = _normalised(parts)
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:16]
    return _Target("url", digest, normalised)


def _web_parts(url: str) -> SplitResult:
    refusal = NotAVideoLink("that is not a web link; paste an http(s) link to a video")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise refusal from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise refusal
    return parts


def _bare_host(host: str) -> str:
    host = host.rstrip(".")
    return host.removeprefix("www.")


def _youtube_id(host: str, parts: SplitResult) -> str:
    steps = [step for step in parts.path.split("/") if step]
    query = dict(parse_qsl(parts.query))
    if host == "youtu.be":
        candidate = steps[0] if steps else ""
    elif steps[:1] == ["watch"] and query.get("v"):
        candidate = query["v"]
    elif len(steps) >= 2 and steps[0] in _YOUTUBE_PATHS and steps[1] != "videoseries":
        candidate = steps[1]
    elif "list" in query or steps[:1] == ["playlist"] or steps[1:2] == ["videoseries"]:
        # Summarising a whole playlist is not what one pasted link should start.
        raise NotAVideoLink("that is a playlist; paste a link to one video")
    elif steps and (steps[0].startswith("@") or steps[0] in _YOUTUBE_CHANNEL_PATHS):
        raise NotAVideoLink("that is a YouTube channel; paste a link to one of its videos")
    else:
        raise NotAVideoLink("that YouTube page is not a video; paste a link to one video")
    match = _YOUTUBE_ID.match(candidate)
    if match is None:
        raise NotAVideoLink("that YouTube link has no valid video id; copy it again from the video")
    return match.group(1)


def _vimeo_id(parts: SplitResult) -> tuple[str, str | None] | None:
    """(id, unlisted hash) for a Vimeo video page or player, None for other Vimeo pages."""
    steps = [step for step in parts.path.split("/") if step]
    secret = dict(parse_qsl(parts.query)).get("h")  # player.vimeo.com/video/ID?h=HASH
    if secret is not None and not _VIMEO_QUERY_HASH.match(secret):
        raise NotAVideoLink("that Vimeo link's private hash (h=) is damaged; copy the link again from Vimeo")
    at = _vimeo_id_step(steps)
    if at is None:
        return None
    if at + 1 < len(steps) and _VIMEO_HASH.match(steps[at + 1]):
        secret = steps[at + 1]  # vimeo.com/ID/HASH: unlisted, unfetchable without the hash
    return steps[at], secret or None


def _vimeo_id_step(steps: list[str]) -> int | None:
    """Where in the path the video id is, None for Vimeo pages that are not one video."""
    for i, step in enumerate(steps[:-1]):
        # /video/ID (player), /videos/ID (groups, manage), /album/x/video/ID, /showcase/x/video/ID
        if step in ("video", "videos") and steps[i + 1].isdigit():
            return i + 1
    if steps and steps[0].isdigit():
        return 0
    if len(steps) >= 3 and steps[0] == "channels" and steps[2].isdigit():
        return 2
    return None


def _normalised(parts: SplitResult) -> str:
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")  # .hostname is already lower case
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    if parts.port is not None and parts.port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{parts.port}"
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None else "")
        host = f"{credentials}@{host}"
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(name)]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(sorted(kept)), ""))


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in _TRACKING
