"""The fast whisper path (issue 14): batched chunks cut again into sentences at their words' times,
windows transcribed side by side in order, the batch size and the workers chosen from the device
and cores, and the next window decoded while whisper works.

The cutting is tested on hostile word lists first (whisper's word times are a model's guesses);
one real tiny.en run in batched mode checks that sentences land where the script put them."""

from __future__ import annotations

import math
import statistics
import threading
import time

import pytest

from bot.app import build_transcriber
from bot.settings import Settings
from summarizer import media, parallel, transcriber
from summarizer.resegment import MAX_S, MAX_WORD_S, PAUSE_S, Word, repaired, segments
from summarizer.transcriber import (
    BATCH,
    CPU_BATCH,
    WORKERS,
    ChunkwiseEncoding,
    WhisperTranscriber,
    default_batch,
    default_workers,
)
from tests.support.mediaserver import FIXTURES
from tests.support.talk_fixtures import sentences


def spoken(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    """Words of `text` one after another, `step` seconds each, as whisper writes them (leading space)."""
    return [Word(start + i * step, start + (i + 1) * step, f" {w}") for i, w in enumerate(text.split())]


# --- cutting words into sentences: hostile input first ---------------------------------------


def test_no_words_make_no_segments():
    assert segments([]) == []
    assert segments([Word(0, 1, ""), Word(1, 2, "   ")]) == []


def test_one_ten_minute_word_is_one_short_segment():
    [seg] = segments([Word(30.0, 630.0, " Hello.")])
    assert seg.start == 30.0 and seg.end - seg.start <= MAX_WORD_S and seg.text == "Hello."


def test_words_out_of_order_come_out_in_time_order_without_overlap():
    words = spoken("one two three four five six.", start=10)
    shuffled = [words[3], words[0], words[5], words[1], words[4], words[2]]
    [seg] = segments(shuffled)
    assert seg.text == "one two three four five six." and seg.start == 10.0

    overlapping = [Word(0.0, 2.0, " a"), Word(1.0, 1.5, " b"), Word(1.2, 3.0, " c.")]
    fixed = repaired(overlapping)
    assert all(b.start >= a.end for a, b in zip(fixed, fixed[1:]))
    assert all(w.end >= w.start for w in fixed)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -5.0])
def test_non_finite_and_negative_times_are_repaired(bad):
    words = [Word(1.0, 1.4, " It"), Word(bad, bad, " was"), Word(1.8, bad, " built."), Word(bad, 2.5, " Yes.")]
    fixed = repaired(words)
    assert [w.text for w in fixed] == [" It", " was", " built.", " Yes."]
    assert all(math.isfinite(w.start) and math.isfinite(w.end) and 0 <= w.start <= w.end for w in fixed)
    assert all(b.start >= a.end for a, b in zip(fixed, fixed[1:]))
    for seg in segments(words):
        assert math.isfinite(seg.start) and math.isfinite(seg.end) and 0 <= seg.start <= seg.end


def test_sentences_are_cut_at_their_ends_and_at_long_pauses():
    words = spoken("The tower was tall.") + spoken("Ships saw its fire at night.", start=1.8)
    words += spoken("and then nothing more", start=1.8 + 1.8 + PAUSE_S + 0.5)  # no full stop, after a pause
    got = segments(words)
    assert [s.text for s in got] == ["The tower was tall.", "Ships saw its fire at night.", "and then nothing more"]
    assert got[1].start == pytest.approx(1.8) and got[2].start == pytest.approx(1.8 + 1.8 + PAUSE_S + 0.5)


def test_a_short_sentence_joins_the_next_one():
    # "Dr." or "Yes." alone would make a citation point at nothing worth reading.
    got = segments(spoken("Yes.", step=0.4) + spoken("We built it in the spring.", start=0.5))
    assert [s.text for s in got] == ["Yes. We built it in the spring."]


def test_over_long_sentences_are_cut_at_a_comma_else_at_the_widest_gap():
    run_on = spoken("word " * 40 + "end, " + "more " * 30 + "stop.", step=0.3)  # 21 s, one comma
    got = segments(run_on)
    assert all(s.end - s.start <= MAX_S for s in got)
    assert got[0].text.endswith("end,")
    assert " ".join(s.text for s in got) == " ".join(w.text.strip() for w in run_on)

    no_commas = spoken("a " * 30, step=0.3) + spoken("b " * 30, start=9.3, step=0.3)  # a 0.3 s gap mid-way
    got = segments(no_commas)
    assert got[0].text == ("a " * 30).strip() and all(s.end - s.start <= MAX_S for s in got)


def test_a_huge_word_list_is_cut_quickly_and_loses_nothing():
    words = spoken("lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 3_000)  # 24k words, 2 h
    started = time.perf_counter()
    got = segments(words)
    assert time.perf_counter() - started < 5
    assert sum(len(s.text.split()) for s in got) == len(words)
    assert all(0 < s.end - s.start <= MAX_S for s in got)


# --- the batch size -----------------------------------------------------------------------------


def test_the_default_batch_and_workers_come_from_the_device_and_cores():
    # Batched decoding does less work than sequential decoding on a CPU too (BENCHMARKS.md).
    assert default_batch("cuda") == default_batch("auto", gpus=1) == BATCH
    assert default_batch("cpu", gpus=4) == default_batch("auto", gpus=0) == CPU_BATCH
    assert default_workers("cuda") == 1  # a batch fills a GPU
    assert default_workers("auto", gpus=1) == 1
    assert default_workers("auto", cores=2, gpus=0) == WORKERS
    assert default_workers("cpu", cores=16, gpus=4) == WORKERS  # told to use the CPU
    assert default_workers("cpu", cores=1) == 1  # nothing to share


def test_the_cores_are_capped_by_a_container_cpu_limit(tmp_path):
    unlimited = transcriber.available_cores(tmp_path / "missing")
    assert unlimited >= 1
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("max 100000\n")
    assert transcriber.available_cores(cpu_max) == unlimited
    cpu_max.write_text("100000 100000\n")  # a pod limited to one CPU
    assert transcriber.available_cores(cpu_max) == 1
    cpu_max.write_text("50000 100000\n")  # half a CPU still gets one thread
    assert transcriber.available_cores(cpu_max) == 1
    cpu_max.write_text("6400000 100000\n")  # a limit above the machine: the machine
    assert transcriber.available_cores(cpu_max) == unlimited
    cpu_max.write_text("garbage\n")
    assert transcriber.available_cores(cpu_max) == unlimited


def test_each_worker_gets_its_share_of_the_threads():
    shared = WhisperTranscriber(batch=BATCH, workers=2, cpu_threads=2)
    assert shared.window_for(0) == transcriber.PARALLEL_WINDOW_S  # a header that says nothing
    assert shared.threads_per_worker == 1 and shared.model.model.num_workers == 2
    alone = WhisperTranscriber(batch=BATCH, workers=1, cpu_threads=2)
    assert alone.window_for(900) == transcriber.WINDOW_S
    assert alone.threads_per_worker == 2 and alone.model.model.num_workers == 1
    assert WhisperTranscriber(workers=3, cpu_threads=2).threads_per_worker == 1  # never none


@pytest.mark.parametrize(
    ("name", "told", "refused", "attribute", "unset"),
    [
        ("RECAP_WHISPER_BATCH", "0", "-1", "batch", CPU_BATCH),  # 0: faster-whisper's sequential decoder
        ("RECAP_WHISPER_WORKERS", "3", "0", "workers", default_workers("cpu")),
    ],
)
def test_the_whisper_settings_reach_the_transcriber(monkeypatch, name, told, refused, attribute, unset):
    monkeypatch.setenv(name, told)
    chosen = build_transcriber(Settings(_env_file=None, whisper_device="cpu"))
    assert isinstance(chosen, WhisperTranscriber) and getattr(chosen, attribute) == int(told)
    monkeypatch.setenv(name, refused)
    with pytest.raises(ValueError, match=name.lower().removeprefix("recap_")):
        Settings(_env_file=None)
    monkeypatch.delenv(name)
    default = build_transcriber(Settings(_env_file=None, whisper_device="cpu"))
    assert isinstance(default, WhisperTranscriber) and getattr(default, attribute) == unset


# --- windows side by side -----------------------------------------------------------------------


def test_windows_are_shared_evenly_among_the_workers():
    two = WhisperTranscriber(workers=2)
    assert two.window_for(900) == pytest.approx(112.5)  # 8 windows, not 7.5: four rounds of two
    assert two.window_for(250) == pytest.approx(62.5)  # 4 windows, not 120 + 120 + 10
    assert two.window_for(150) == pytest.approx(75)  # two halves
    assert two.window_for(100) == pytest.approx(100)  # not halves of a minute: one window
    assert two.window_for(15) == transcriber.MIN_WINDOW_S  # one window all the same, and see below
    assert two.window_for(36_000) <= transcriber.PARALLEL_WINDOW_S  # memory stays flat on ten hours
    assert WhisperTranscriber(workers=1).window_for(71) == transcriber.WINDOW_S


def test_a_header_that_understates_the_length_does_not_cut_the_audio_in_slivers(monkeypatch):
    """The header's duration only sizes the windows; a file declaring one second but holding 71 s
    must not become 71 one-second windows, each padded to 30 s for the encoder."""
    monkeypatch.setattr(media, "declared_s", lambda path: 1.0)
    started = []
    whisper = WhisperTranscriber(batch=BATCH, workers=2, cpu_threads=2)
    real = whisper._transcribe_window
    monkeypatch.setattr(whisper, "_transcribe_window", lambda *a: started.append(a) or real(*a))
    transcript = whisper.transcribe(FIXTURES / "media" / "lighthouses.opus", None, lambda f: None)
    assert len(started) <= 2  # minute-long windows at least: the 71 s talk in one or two
    assert "Alexandria" in transcript.text and "satellites" in transcript.text


def test_windows_side_by_side_come_back_in_order():
    def work(n):
        time.sleep(0.02 * (5 - n % 5))  # early items finish last
        return n * n

    assert list(parallel.in_order(work, range(12), workers=3)) == [(n, n * n) for n in range(12)]


def test_no_more_than_the_workers_are_held_at_once():
    running, most, lock = 0, 0, threading.Lock()
    pulled = []

    def items():
        for n in range(20):
            pulled.append(n)
            yield n

    def work(n):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return n

    results = parallel.in_order(work, items(), workers=2)
    assert next(results) == (0, 0)
    # An hour of audio is not read ahead of the workers: the first result waited for two items only.
    assert len(pulled) <= 3
    assert [n for n, _ in results] == list(range(1, 20))
    assert most == 2


def test_a_failing_window_is_raised_in_order_and_the_rest_is_dropped():
    started = []

    def work(n):
        started.append(n)
        if n == 3:
            raise ValueError("damaged window")
        return n

    got = []
    with pytest.raises(ValueError, match="damaged window"):
        for n, _ in parallel.in_order(work, range(100), workers=2):
            got.append(n)
    assert got == [0, 1, 2]
    assert max(started) <= 5  # nothing past the failure was started but what was already running


def test_a_consumer_that_stops_early_closes_the_source_and_waits_for_running_work():
    closed, finished = [], []

    def items():
        try:
            yield from range(1_000)
        finally:
            closed.append(True)

    def work(n):
        time.sleep(0.05)
        finished.append(n)
        return n

    results = parallel.in_order(work, items(), workers=2)
    assert next(results) == (0, 0)
    results.close()  # as a refusal after the first window does
    assert closed == [True]
    assert sorted(finished) == [0, 1]  # the one running was waited for; no thread outlives the call


def test_one_worker_works_in_the_callers_thread():
    threads = set()
    assert [r for _, r in parallel.in_order(lambda n: threads.add(threading.get_ident()) or n, range(3), 1)] == [
        0,
        1,
        2,
    ]
    assert threads == {threading.get_ident()}


# --- decoding ahead -----------------------------------------------------------------------------


def test_decoding_ahead_keeps_order_and_raises_the_producers_error():
    def produce():
        yield from range(5)
        raise ValueError("damaged packet")

    got = []
    with pytest.raises(ValueError, match="damaged packet"):
        for item in media.ahead(produce()):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_stops_the_producer():
    closed = []

    def produce():
        try:
            yield from range(1_000_000)
        finally:
            closed.append(True)

    items = media.ahead(produce())
    assert next(items) == 0
    items.close()  # as a refusal after the first window does
    assert closed == [True]


# --- one real run -------------------------------------------------------------------------------


def test_batched_tiny_en_gives_sentences_where_the_script_put_them():
    transcript = WhisperTranscriber(batch=BATCH).transcribe(
        FIXTURES / "media" / "lighthouses.opus", None, lambda f: None
    )
    scripted = [s["start"] for s in sentences("lighthouses")]
    starts = [s.start for s in transcript.segments]
    lengths = [s.end - s.start for s in transcript.segments]

    assert transcript.language == "en"
    # Sentence-sized, as sequential decoding gives them, not one 30 s chunk each.
    assert len(transcript.segments) >= len(scripted) - 2
    assert max(lengths) <= MAX_S and statistics.median(lengths) <= 8
    # Every scripted sentence has a segment starting within 3 s, and every segment starts near one.
    assert all(min(abs(s - t) for s in starts) <= 3 for t in scripted)
    assert all(min(abs(s - t) for t in scripted) <= 3 for s in starts)
    assert starts == sorted(starts)
    assert "Alexandria" in transcript.text and "Fresnel" in transcript.text


def test_encoding_chunk_by_chunk_gives_what_encoding_the_batch_gives():
    import numpy as np

    model = WhisperTranscriber(batch=BATCH, workers=1).model
    audio = np.concatenate(list(media.samples(FIXTURES / "media" / "lighthouses.opus", transcriber.SAMPLE_RATE)))
    features = np.stack([model.feature_extractor(audio[i : i + 480_000])[:, :3000] for i in (0, 480_000)])
    batched = np.asarray(model.encode(features))
    chunkwise = np.asarray(ChunkwiseEncoding(model).encode(features))
    assert chunkwise.shape == batched.shape == (2, 1500, 384)
    assert np.allclose(chunkwise, batched, atol=0.05)
    assert ChunkwiseEncoding(model).feature_extractor is model.feature_extractor  # the rest is the model's


def test_two_workers_transcribe_what_one_does(monkeypatch):
    monkeypatch.setattr(transcriber, "PARALLEL_WINDOW_S", 25.0)
    monkeypatch.setattr(transcriber, "MIN_WINDOW_S", 20.0)  # the 71 s talk in three windows
    audio = FIXTURES / "media" / "lighthouses.opus"
    done: list[float] = []
    two = WhisperTranscriber(batch=BATCH, workers=2, cpu_threads=2).transcribe(audio, None, done.append)
    # The same windows, one after the other.
    monkeypatch.setattr(transcriber, "WINDOW_S", WhisperTranscriber(workers=2).window_for(media.declared_s(audio)))
    one = WhisperTranscriber(batch=BATCH, workers=1, cpu_threads=1).transcribe(audio, None, lambda f: None)

    assert [s.text for s in two.segments] == [s.text for s in one.segments]
    assert [s.start for s in two.segments] == [s.start for s in one.segments]
    # Progress as the workers go, piece by piece, never going back though windows finish out of order.
    assert done == sorted(done) and done[-1] == 1.0 and len(done) > 3
    assert "Alexandria" in two.text and "satellites" in two.text


def test_a_stop_asked_for_by_progress_stops_the_workers_at_their_next_piece(monkeypatch):
    """A job handed back at shutdown raises from its progress callback: that must end the
    transcription now, not after every window already running, nor turn into "unreadable media"."""

    class Stopped(Exception):
        pass

    monkeypatch.setattr(transcriber, "PARALLEL_WINDOW_S", 25.0)
    monkeypatch.setattr(transcriber, "MIN_WINDOW_S", 20.0)  # the 71 s talk in three windows
    started, read = [], []
    whisper = WhisperTranscriber(batch=0, workers=2)  # sequential: a piece at a time
    real = whisper._transcribe_window

    def counted(*args):
        started.append(args)
        pieces, info = real(*args)
        return (read.append(p) or p for p in pieces), info

    monkeypatch.setattr(whisper, "_transcribe_window", counted)

    def progress(fraction):
        raise Stopped

    with pytest.raises(Stopped):
        whisper.transcribe(FIXTURES / "media" / "lighthouses.opus", None, progress)
    assert len(started) <= 2  # the third window was never begun
    assert len(read) <= 2  # and the running ones stopped at their first piece, not their last


def test_the_garbage_collector_leaves_older_objects_alone_while_transcribing_only():
    import gc

    older = [object() for _ in range(3)]
    frozen_during: list[int] = []
    WhisperTranscriber(batch=BATCH, workers=1).transcribe(
        FIXTURES / "media" / "bees.opus", None, lambda f: frozen_during.append(gc.get_freeze_count())
    )
    assert frozen_during and min(frozen_during) >= len(older)  # set aside while it ran
    assert gc.get_freeze_count() == 0  # and handed back: nothing kept longer than the transcription


def test_the_model_loads_in_the_background_and_once():
    transcriber = WhisperTranscriber(batch=0)
    transcriber.warm_up()
    model = transcriber.model  # waits for the background load rather than loading again
    transcriber.warm_up()  # loaded: nothing to do
    assert transcriber.model is model
