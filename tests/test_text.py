"""summarizer.text: the units writers rank and cite, and the tokens retrieval matches on."""

from __future__ import annotations

import pytest

from summarizer.models import Segment
from summarizer.text import MAX_UNIT_WORDS, STOPWORDS, stem, tokens, units, word_count
from tests.support.talk_fixtures import sentence_transcript


def seg(start: float, end: float, text: str) -> Segment:
    return Segment(start=start, end=end, text=text)


# --- sentences anchored to segments -------------------------------------------------------------


def test_a_sentence_that_starts_mid_segment_takes_that_segments_start():
    segments = [
        seg(0.0, 2.0, "Bees live in hives. Each"),
        seg(2.0, 4.5, "hive has a queen. She lays"),
        seg(4.5, 6.0, "eggs all day."),
    ]
    got = [(u.start, u.end, u.text, u.index) for u in units(segments)]
    assert got == [
        (0.0, 2.0, "Bees live in hives.", 0),
        (0.0, 4.5, "Each hive has a queen.", 1),  # "Each" is said in the first segment
        (2.0, 6.0, "She lays eggs all day.", 2),  # "She" is said in the second
    ]


def test_sentences_that_fill_whole_segments_keep_their_own_timing():
    transcript = sentence_transcript("bees")
    us = units(transcript.segments)
    assert [u.text for u in us] == [s.text for s in transcript.segments]
    assert [(u.start, u.end) for u in us] == [(s.start, s.end) for s in transcript.segments]
    assert [u.index for u in us] == list(range(len(us)))


def test_question_and_exclamation_marks_end_sentences_and_whitespace_is_tidied():
    segments = [seg(1.0, 3.0, "  Why do bees dance?  They talk!"), seg(3.5, 5.0, " 42 flowers wait. ")]
    assert [(u.start, u.text) for u in units(segments)] == [
        (1.0, "Why do bees dance?"),
        (1.0, "They talk!"),
        (3.5, "42 flowers wait."),
    ]


def test_no_segments_give_no_units():
    assert units([]) == []


# --- unpunctuated text (YouTube automatic captions) -----------------------------------------------

AUTO_WORDS = (
    "so today we are going to talk about honey bees and how they live in the hive and what the "
    "queen does every single day of her life and why the workers matter so much to the colony "
    "then we will look at the mites and the farm chemicals that make life hard for them and at "
    "what you can plant in your garden to help them find food through the whole summer season"
).split()


def auto_caption_segments(words_per_segment: int = 6) -> list[Segment]:
    out = []
    for n, i in enumerate(range(0, len(AUTO_WORDS), words_per_segment)):
        out.append(seg(2.0 * n, 2.0 * n + 1.9, " ".join(AUTO_WORDS[i : i + words_per_segment])))
    return out


def test_unpunctuated_captions_become_windows_of_whole_segments():
    segments = auto_caption_segments()
    us = units(segments)
    assert len(us) >= 3, "a long run without periods must not become one wall of text"
    starts = {s.start: i for i, s in enumerate(segments)}
    ends = {s.end: i for i, s in enumerate(segments)}
    covered = []
    for u in us:
        first, last = starts[u.start], ends[u.end]  # KeyError: not a real segment boundary
        assert u.text == " ".join(s.text for s in segments[first : last + 1])
        covered.extend(range(first, last + 1))
    assert covered == list(range(len(segments))), "every segment once, in order"
    # Windows are about sentence length: at least half the limit, except the remainder at the end.
    assert all(word_count(u.text) >= MAX_UNIT_WORDS // 2 for u in us[:-1])
    assert all(word_count(u.text) <= MAX_UNIT_WORDS for u in us)
    assert [u.index for u in us] == list(range(len(us)))


def test_a_long_run_inside_one_segment_stays_one_unit():
    # Nothing to split at: the one real timestamp is the segment's start.
    segment = seg(3.0, 30.0, " ".join(AUTO_WORDS))
    assert [(u.start, u.end, u.text) for u in units([segment])] == [(3.0, 30.0, segment.text)]


def test_windows_do_not_repeat_the_sentences_around_them():
    segments = [seg(0.0, 2.0, "Short intro. then a long run")]
    segments += [seg(2.0 * i, 2.0 * i + 2, "with no punctuation at all here") for i in range(1, 10)]
    segments += [seg(20.0, 22.0, "that ends now. Next sentence here.")]
    words = [w for u in units(segments) for w in u.text.split()]
    spoken = " ".join(s.text for s in segments).split()
    assert words == spoken, "every spoken word belongs to exactly one unit"


# --- tokens and stems: what retrieval matches on -------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("bees", "bee"),
        ("bee's", "bee"),
        ("lives", "live"),
        ("invented", "invent"),
        ("queens", "queen"),
        ("hives", "hive"),
        ("boxes", "box"),
        ("stories", "story"),
        ("workers", "worker"),
        ("dances", "dance"),
    ],
)
def test_inflections_share_a_stem(a, b):
    assert tokens(a) == tokens(b) != []


@pytest.mark.parametrize("word", ["glass", "focus", "bus", "class", "virus"])
def test_words_that_merely_end_in_s_are_not_mangled(word):
    assert stem(word) == word


@pytest.mark.parametrize(
    "a, b",
    [
        ("replaced", "replace"),
        ("replaced", "replaces"),
        ("lived", "lives"),
        ("carried", "carry"),
    ],
)
def test_past_tenses_share_a_stem_with_the_present(a, b):
    assert tokens(a) == tokens(b)


def test_stopwords_and_single_letters_are_dropped_and_words_lowercased():
    # Compared with the content words alone, so the test does not pin how a stem is spelled.
    assert tokens("What is the capital of France?") == tokens("capital france") == [stem("capital"), stem("france")]
    assert tokens("How long does a worker live in summer?") == [stem(w) for w in ("long", "worker", "live", "summer")]
    assert tokens("I, a B and THE BEE") == tokens("bee") != []
    assert tokens("what is it that they would have been doing") == []
    assert {"the", "what", "how", "does", "um", "uh"} <= STOPWORDS


def test_question_and_answer_sentence_meet_on_their_content_words():
    question = set(tokens("How long does a worker live in summer?"))
    answer = set(tokens("In summer, each worker lives for about six weeks."))
    assert question - {"long"} <= answer
    assert set(tokens("When was the Fresnel lens invented?")) <= set(
        tokens("The Fresnel lens was invented in eighteen twenty two.")
    )


def test_numbers_and_contractions_are_kept_as_words():
    assert tokens("In 1822 Fresnel's lens") == ["1822", stem("fresnel"), stem("lens")]
    assert tokens("It's the bees' knees") == [stem("bee"), stem("knee")]
