"""Which `RecapService` serves a channel: the default one, or the writer and language the
channel's admins chose. The variants come from the composition root and share its fetcher and
transcriber, so a channel's language setting never loads a second whisper model."""

from __future__ import annotations

from collections.abc import Callable

from .chat import Place
from .chatstore import ChatStore
from .service import RecapService

# (writer, language) -> the service that writes that way
Variant = Callable[[str | None, str | None], RecapService]


class Services:
    def __init__(self, default: RecapService, store: ChatStore, variant: Variant | None = None) -> None:
        self.default = default
        self.store = store
        self._variant = variant
        self._built: dict[tuple[str | None, str | None], RecapService] = {}

    def for_place(self, place: Place) -> RecapService:
        chosen = self.store.settings(place)
        return self.for_choice(chosen.writer, chosen.language)

    def for_choice(self, writer: str | None, language: str | None) -> RecapService:
        """The service for a channel's choice (None: the default's), built once per process."""
        if self._variant is None or not (writer or language):
            return self.default
        key = (writer, language)
        if key not in self._built:
            self._built[key] = self._variant(*key)
        return self._built[key]
