"""The core's one entry point: a link or file -> Video -> Transcript -> Digest or Answer.

Synchronous on purpose (yt-dlp, faster-whisper and the anthropic client all block); the bot runs
it in a worker thread or process. It knows nothing of storage: the caller looks a key up before
asking for work, and stores what comes back.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from .chapters import follow_chapters
from .errors import BadInput, EmptyTranscript, NeedsTranscription, WriterFailed
from .grounding import finish_answer, finish_digest, ground_answer, ground_digest
from .links import video_key
from .localfile import file_key, is_url, media_path, probe_file, sidecar_captions
from .models import Answer, Digest, Transcript, Turn, Video
from .text import word_count
from .transcriber import Transcriber
from .writer import Writer

if TYPE_CHECKING:  # yt-dlp takes a tenth of a second to import; callers import it when they fetch
    from .fetcher import YtDlpFetcher

# stage ("probing", "captions", "downloading", "transcribing", "writing"), fraction done or None
ProgressFn = Callable[[str, float | None], None]
# Fewer words than this is not a talk; a digest of it would be made up.
MIN_WORDS = 12
# A question is a sentence or two. Longer is pasted text: it would cost a model writer dearly and
# reads as instructions more than as a question.
MAX_QUESTION_CHARS = 1_000

log = logging.getLogger(__name__)


def quiet(stage: str, fraction: float | None) -> None:
    pass


def checked_question(question: str) -> str:
    """`question`, or BadInput when it is too long to be one (checked before any fetching)."""
    if len(question) > MAX_QUESTION_CHARS:
        raise BadInput(
            f"That question is {len(question):,} characters long; ask it in fewer than {MAX_QUESTION_CHARS:,}."
        )
    return question


def key_of(target: str) -> str:
    """The store key of a link or a file, computed without touching the network."""
    return video_key(target) if is_url(target) else file_key(media_path(target))


class Summarizer:
    def __init__(
        self, fetcher: YtDlpFetcher, transcriber: Transcriber, writer: Writer, transcribe_here: bool = True
    ) -> None:
        self.fetcher = fetcher
        self.transcriber = transcriber
        self.writer = writer
        # False: a link without captions raises NeedsTranscription before any download, for a
        # process that hands speech recognition to others (workers without the transcribe queue).
        self.transcribe_here = transcribe_here

    def with_writer(self, writer: Writer) -> Summarizer:
        """The same fetcher and transcriber (one whisper model a process), writing another way."""
        return Summarizer(self.fetcher, self.transcriber, writer, self.transcribe_here)

    def transcript(self, target: str, progress: ProgressFn = quiet, key: str | None = None) -> tuple[Video, Transcript]:
        """Metadata and transcript: captions when there are some, else speech recognition.

        `key`: the target's store key when the caller has computed it already (for a file, a hash of it).
        """
        progress("probing", None)
        if not is_url(target):
            path = media_path(target)
            video = probe_file(path, key or file_key(path))
            self.fetcher.check_duration(video.duration_s)  # a file's length is measured, not declared
            return video, _checked(sidecar_captions(path) or self._transcribe(path, video, progress))

        if self.transcribe_here:
            # Any link may turn out to have no captions: the model loads while yt-dlp probes (only
            # the first link a process sees waits for it; the model stays loaded).
            self.transcriber.warm_up()
        probe = self.fetcher.probe(target)
        progress("captions", None)
        transcript = self.fetcher.captions(probe)
        if transcript is None and not self.transcribe_here:
            raise NeedsTranscription(probe.video.key)
        if transcript is None:
            self.transcriber.check_language(probe.video.language)  # before downloading anything
            # Temporary media never outlives the call, whatever happens inside it.
            with tempfile.TemporaryDirectory(prefix="recap-") as tmp:
                progress("downloading", 0.0)
                audio = self.fetcher.download_audio(probe, Path(tmp), lambda f: progress("downloading", f))
                transcript = self._transcribe(audio, probe.video, progress)
        video = probe.video
        if not video.duration_s:  # pages with a bare <audio> element do not say how long they are
            video = video.model_copy(update={"duration_s": round(transcript.end, 2)})
        return video, _checked(transcript)

    def _transcribe(self, audio: Path, video: Video, progress: ProgressFn) -> Transcript:
        progress("transcribing", 0.0)
        return self.transcriber.transcribe(audio, video.language, lambda f: progress("transcribing", f))

    def digest(self, video: Video, transcript: Transcript, progress: ProgressFn = quiet) -> Digest:
        progress("writing", None)
        try:
            draft = self.writer.write_digest(video, transcript)
            return finish_digest(ground_digest(follow_chapters(draft, video, transcript), transcript), video.url)
        except ValidationError as exc:
            raise self._unusable("a digest", exc) from None

    def answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn] | None = None) -> Answer:
        checked_question(question)
        try:
            draft = self.writer.write_answer(video, transcript, question, turns or [])
            return finish_answer(ground_answer(draft, transcript, video.url), video.url)
        except ValidationError as exc:
            raise self._unusable("an answer", exc) from None

    def _unusable(self, what: str, exc: ValidationError) -> WriterFailed:
        # Writers repair or refuse what they return; this is the last guard, so that what a model
        # wrote can never surface as a pydantic error (which front ends report as a bad setting).
        # Where it failed, never the values: they are model output, which may quote the transcript.
        where = "; ".join(".".join(map(str, e["loc"])) + f": {e['type']}" for e in exc.errors())
        log.error("the %s writer returned %s that failed validation at %s", self.writer.name, what, where)
        return WriterFailed(
            f"The {self.writer.name} writer returned {what} recap could not use; nothing was stored. Try again."
        )


def _checked(transcript: Transcript) -> Transcript:
    if sum(word_count(s.text) for s in transcript.segments) < MIN_WORDS:
        raise EmptyTranscript(
            "The video has too little speech to summarise (its transcript is empty or only a few words)."
        )
    return transcript
