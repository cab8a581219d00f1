"""What recap does for anyone who asks (the command line, a chat job), with the store in front of
the pipeline: a video is fetched and transcribed once, whatever link spelling or thread asks for
it again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property

from summarizer.models import Answer, Digest, Transcript, Video
from summarizer.pipeline import ProgressFn, Summarizer, checked_question, key_of, quiet

from .store import Store

log = logging.getLogger(__name__)


class RecapService:
    def __init__(
        self, store: Store, writer: str, summarizer: Callable[[], Summarizer], *, language: str | None = None
    ) -> None:
        self.store = store
        # Stored digests are per writer and per output language: a Claude digest is not an
        # extractive one, and a French digest is no answer to a channel set to English.
        self.writer = writer
        self.language = language  # None: each video's own language
        self._build = summarizer

    @cached_property
    def summarizer(self) -> Summarizer:
        # Built on first use: a digest served from the store never pays for importing yt-dlp.
        return self._build()

    def transcript(self, target: str, progress: ProgressFn = quiet, key: str | None = None) -> tuple[Video, Transcript]:
        # The key of a local file is a hash of all of it: callers that have it pass it on.
        key = key or key_of(target)
        stored = self.store.transcript(key)
        if stored:
            log.info("transcript of %s served from the store", key)
            return stored
        video, transcript = self.summarizer.transcript(target, progress, key)
        self.store.save_transcript(video, transcript)
        return video, transcript

    def stored_digest(self, key: str) -> Digest | None:
        """The digest this service would serve for `key` without writing one."""
        return self.store.digest(key, self.writer, self.language)

    def digest(self, target: str, progress: ProgressFn = quiet) -> Digest:
        key = key_of(target)
        cached = self.stored_digest(key)
        if cached:
            log.info("digest of %s served from the store", key)
            return cached
        video, transcript = self.transcript(target, progress, key)
        digest = self.summarizer.digest(video, transcript, progress)
        self.store.save_digest(digest, self.language)
        return digest

    def ask(self, target: str, question: str, conversation: str | None = None, progress: ProgressFn = quiet) -> Answer:
        """Answer from the video's transcript; with a conversation id, earlier turns are context."""
        checked_question(question)  # before fetching or transcribing anything
        video, transcript = self.transcript(target, progress)
        turns = self.store.turns(conversation) if conversation else []
        answer = self.summarizer.answer(video, transcript, question, turns)
        if conversation:
            self.store.add_turn(conversation, video.key, answer)
        return answer
