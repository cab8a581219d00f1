"""The fast whisper path (issue 14): batched chunks cut again into sentences at their words' times,
the batch size chosen from the device and cores, and the next window decoded while whisper works.

The cutting is tested on hostile word lists first (whisper's word times are a model's guesses);
one real tiny.en run in batched mode checks that sentences land where the script put them."""

from __future__ import annotations

import math
import statistics
import time

import pytest

from bot.app import build_transcriber
from bot.settings import Settings
from summarizer import media
from summarizer.resegment import MAX_S, MAX_WORD_S, PAUSE_S, Word, repaired, segments
from summarizer.transcriber import BATCH, WhisperTranscriber, default_batch
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


def test_the_default_batch_comes_from_the_device():
    assert default_batch("cuda") == BATCH
    assert default_batch("auto", gpus=1) == BATCH
    assert default_batch("auto", gpus=0) == 0  # measured on CPU: batching did not pay (BENCHMARKS.md)
    assert default_batch("cpu", gpus=4) == 0  # told to use the CPU


def test_the_batch_setting_reaches_the_transcriber(monkeypatch):
    monkeypatch.setenv("RECAP_WHISPER_BATCH", "0")
    transcriber = build_transcriber(Settings(_env_file=None))
    assert isinstance(transcriber, WhisperTranscriber) and transcriber.batch == 0
    monkeypatch.setenv("RECAP_WHISPER_BATCH", "-1")
    with pytest.raises(ValueError, match="whisper_batch"):
        Settings(_env_file=None)
    monkeypatch.delenv("RECAP_WHISPER_BATCH")
    unset = build_transcriber(Settings(_env_file=None, whisper_device="cpu"))
    assert isinstance(unset, WhisperTranscriber) and unset.batch == 0
    monkeypatch.setenv("RECAP_WHISPER_BATCH", "16")
    told = build_transcriber(Settings(_env_file=None, whisper_device="cpu"))
    assert isinstance(told, WhisperTranscriber) and told.batch == 16


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


def test_the_model_loads_in_the_background_and_once():
    transcriber = WhisperTranscriber(batch=0)
    transcriber.warm_up()
    model = transcriber.model  # waits for the background load rather than loading again
    transcriber.warm_up()  # loaded: nothing to do
    assert transcriber.model is model
