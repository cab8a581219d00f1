"""Errors a person can meet, each carrying a one-line message that says what happened and what to do.

Front ends decide how to show them: the command line exits 2 for `BadInput` (trying again with
the same input cannot help) and 1 for every other `RecapError`; chats post `str(error)`.
Nothing here carries a traceback worth showing a user.
"""

from __future__ import annotations


class RecapError(Exception):
    """A failure worth telling the user about in one line."""


class BadInput(RecapError):
    """The link or file the user gave cannot be summarised; trying again will not help."""


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


class UnsupportedLanguage(BadInput):
    """Speech in a language the configured whisper model does not know (an English-only model and
    French audio): a digest of its transcript would be gibberish. Another model would help."""


class FetchFailed(RecapError):
    """The site did not give us the media or captions this time (bot checks, 429s, network)."""


class MediaUnreadable(RecapError):
    """The media arrived but could not be decoded."""


class EmptyTranscript(RecapError):
    """Nothing was said, or nothing could be heard: we will not summarise silence."""


class NotConfigured(RecapError):
    """A setting or a tool that this path needs is missing."""


class WriterFailed(RecapError):
    """The writer (Claude, a local model) returned something recap cannot show, even after repair:
    worth trying again; nothing about the link or the settings is wrong."""


class NeedsTranscription(Exception):
    """Not a failure: this video has no captions and this process leaves speech recognition to
    another (a worker serving the transcribe queue). Never shown to a user."""
