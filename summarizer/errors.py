"""Errors a person can meet, each carrying a one-line message that says what happened and what to do.

The command line maps `BadInput` to exit status 2 and every other `RecapError` to 1; the chat
adapters post `str(error)` in the thread. Nothing here carries a traceback worth showing a user.
"""

from __future__ import annotations


class RecapError(Exception):
    """A failure worth telling the user about in one line."""

    exit_code = 1


class BadInput(RecapError):
    """The link or file the user gave cannot be summarised; trying again will not help."""

    exit_code = 2


class NotAVideoLink(BadInput):
    pass


class UnsupportedSite(BadInput):
    pass


class BlockedAddress(BadInput):
    pass


class VideoUnavailable(BadInput):
    """404, removed, private, members-only: the video exists nowhere we may read it."""


class NotAllowed(BadInput):
    """Live streams and videos over the configured limits."""


class FetchFailed(RecapError):
    """The site did not give us the media or captions this time (bot checks, 429s, network)."""


class MediaUnreadable(RecapError):
    """The media arrived but could not be decoded."""


class EmptyTranscript(RecapError):
    """Nothing was said, or nothing could be heard: we will not summarise silence."""


class NotConfigured(RecapError):
    """A setting or a tool that this path needs is missing."""
