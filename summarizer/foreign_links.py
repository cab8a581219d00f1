"""Links a writer put in its text that the video never gave: a phishing link in a digest would
carry recap's authority, so it loses its link and keeps only its words.

A link stays when the transcript says it (the video itself points there) or when it points at the
video itself (any spelling of it, a moment of it). Forms handled: markdown `[label](url)`, Slack and
Discord `<url|label>` / `<url>`, and bare `http(s)://...` or `www....` addresses, which both
platforms turn into links on their own.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

from .errors import NotAVideoLink
from .links import video_key

REMOVED = "(link removed)"

_MARKDOWN = re.compile(r"\[(?P<label>[^\]\n]*)\]\(\s*<?(?P<url>[^\s()<>]+(?:\([^\s()<>]*\))?[^\s()<>]*)>?\s*\)")
_ANGLED = re.compile(r"<(?P<url>(?:https?://|www\.)[^\s<>|]*)(?:\|(?P<label>[^<>]*))?>", re.IGNORECASE)
_BARE = re.compile(r"(?:https?://|www\.)[^\s<>\"'`|\[\]]+", re.IGNORECASE)
# Punctuation that ends the sentence around a link rather than the link.
_TRAILING = ".,;:!?'\")]}*_~"
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)

M = TypeVar("M", bound=BaseModel)


class LinkPolicy:
    """Which links a text about one video may carry: the transcript's own, and the video's."""

    def __init__(self, transcript_text: str, video_url: str) -> None:
        self._said = {_bare(word) for word in transcript_text.split() if "." in word}
        self._video = _key(video_url)

    def allows(self, url: str) -> bool:
        return _bare(url) in self._said or (self._video is not None and _key(url) == self._video)

    def scrub(self, text: str) -> str:
        """`text` with every link it may not carry reduced to its label, or to a note that it went."""

        def labelled(m: re.Match) -> str:
            if self.allows(m.group("url")):
                return m.group(0)
            return (m.group("label") or "").strip() or REMOVED

        text = _MARKDOWN.sub(labelled, text)
        text = _ANGLED.sub(labelled, text)
        # Bare addresses last: a label may itself be one ("[https://bank.example](https://evil)").
        return _BARE.sub(self._bare_link, text)

    def _bare_link(self, m: re.Match) -> str:
        url = m.group(0).rstrip(_TRAILING)
        tail = m.group(0)[len(url) :]
        return m.group(0) if self.allows(url) else REMOVED + tail

    def scrub_model(self, model: M, skip: frozenset[str]) -> M:
        """A copy of `model` with every string scrubbed but those under the field names in `skip`."""
        return type(model).model_validate(self._walk(model.model_dump(), skip))

    def _walk(self, value: Any, skip: frozenset[str]) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self._walk(v, skip) for v in value]
        if isinstance(value, dict):
            return {k: (v if k in skip else self._walk(v, skip)) for k, v in value.items()}
        return value


def _bare(url: str) -> str:
    """A link as compared: no scheme, no "www.", no closing punctuation or slash, no case."""
    return _SCHEME.sub("", url.strip().rstrip(_TRAILING).rstrip("/")).casefold()


def _key(url: str) -> str | None:
    url = url.strip()
    if url[:4].lower() == "www.":
        url = "https://" + url
    try:
        return video_key(url)
    except (NotAVideoLink, ValueError):
        return None
