"""ExtractiveWriter on the two fixture talks: grounded by construction, structured like the talk, honest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer.extractive import ExtractiveWriter
from summarizer.grounding import TranscriptText, finish_answer, finish_digest, ground_answer, ground_digest
from summarizer.models import Answer, Digest, Transcript, Turn
from summarizer.text import STOPWORDS, tokens, units
from summarizer.topics import NUMBER_WORDS
from tests.support.talk_fixtures import (
    TALKS,
    load_schema,
    rechunked_transcript,
    sentence_transcript,
    sentences,
    video,
    vtt_transcript,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "shared" / "digest.schema.json"

# Every way the tests build a talk's transcript: one segment per sentence, the bees caption
# track, and caption-like lines of 7 words that cut sentences in the middle.
SOURCES = {
    "bees/sentences": lambda: sentence_transcript("bees"),
    "bees/vtt": lambda: vtt_transcript("bees"),
    "bees/rechunked": lambda: rechunked_transcript("bees"),
    "lighthouses/sentences": lambda: sentence_transcript("lighthouses"),
    "lighthouses/rechunked": lambda: rechunked_transcript("lighthouses"),
}
SENTENCE_SOURCES = ["bees/sentences", "bees/vtt", "lighthouses/sentences"]


def talk_of(source: str) -> str:
    return source.split("/")[0]


_digests: dict[str, tuple[Transcript, Digest]] = {}


def digest_for(source: str) -> tuple[Transcript, Digest]:
    """The writer's draft for a source (written once per test run: the writer is pure)."""
    if source not in _digests:
        transcript = SOURCES[source]()
        _digests[source] = transcript, ExtractiveWriter().write_digest(video(talk_of(source)), transcript)
    return _digests[source]


def finished(source: str) -> Digest:
    transcript, d = digest_for(source)
    return finish_digest(ground_digest(d, transcript), d.video.url)


def ask(talk: str, question: str, turns: list[Turn] | None = None) -> Answer:
    transcript = sentence_transcript(talk)
    return ExtractiveWriter().write_answer(video(talk), transcript, question, turns or [])


def schema_validator(kind: str):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text()) if SCHEMA_PATH.is_file() else load_schema()
    if schema is None:
        pytest.skip(f"digest schema not found at {SCHEMA_PATH} (nor a copy in tests/fixtures)")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        {**schema, "oneOf": [{"$ref": f"#/$defs/{kind}"}]}
    ), jsonschema.Draft202012Validator(schema)


def is_made_of(text: str, said: list[str]) -> bool:
    """Whether `text` is some of the `said` sentences, in speaking order, joined by spaces."""
    rest = text
    for sentence in said:
        if rest.startswith(sentence):
            rest = rest[len(sentence) :].lstrip()
    return rest == "" and text != ""


def sentence_index(talk: str, text: str) -> int:
    (i,) = [i for i, s in enumerate(sentences(talk)) if s["text"] == text]
    return i


# --- the fixtures agree with each other -------------------------------------------------------


def test_the_caption_track_is_the_sentence_transcript():
    assert vtt_transcript("bees").segments == sentence_transcript("bees").segments


# --- grounded by construction -----------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_every_timestamp_is_a_segment_start_and_every_quote_is_verbatim(source):
    transcript, d = digest_for(source)
    starts = {s.start for s in transcript.segments}
    spoken = transcript.text
    tt = TranscriptText(transcript)

    moments = list(d.highlights) + [s.quote for s in d.sections if s.quote]
    assert len(moments) >= len(d.highlights) + len(d.sections), "each section carries a quote"
    for m in moments:
        assert m.text in spoken, f"not said verbatim: {m.text!r}"
        assert m.start_s == tt.locate(m.text, near=m.start_s)[0], f"{m.text!r} is not where it is said"
    ends = {s.end for s in transcript.segments}
    said = [u.text for u in units(transcript.segments)]
    for s in d.sections:
        assert s.start_s in starts and (s.end_s in ends or s.end_s in starts)
        assert is_made_of(s.summary, said), f"summary is not the talk's own sentences: {s.summary!r}"
    qas = list(d.qa) + [q for s in d.sections for q in s.deeper]
    assert qas, "an extractive digest still offers questions to dig deeper"
    for q in qas:
        assert q.start_s in starts, q
        assert q.answer in spoken and tt.locate(q.answer, near=q.start_s)[0] == q.start_s
    for takeaway in d.takeaways:
        assert takeaway in spoken


@pytest.mark.parametrize("source", SOURCES)
def test_grounding_has_nothing_to_fix(source):
    transcript, d = digest_for(source)
    assert ground_digest(d, transcript) == d


@pytest.mark.parametrize("source", SOURCES)
def test_highlights_are_three_to_six_in_speaking_order(source):
    _, d = digest_for(source)
    assert 3 <= len(d.highlights) <= 6
    times = [h.start_s for h in d.highlights]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert len({h.text for h in d.highlights}) == len(d.highlights)


@pytest.mark.parametrize("source", SOURCES)
def test_the_finished_digest_validates_against_the_shared_schema(source):
    digest_only, either = schema_validator("digest")
    d = finished(source)
    doc = d.model_dump(mode="json")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in digest_only.iter_errors(doc)]
    assert errors == []
    either.validate(doc)  # the document as `recap summarize --json` prints it: exactly one of digest/answer
    assert doc["writer"] == "extractive" and doc["transcript"]["segments"] == len(SOURCES[source]().segments)
    assert 2 <= len(doc["sections"]) <= 6
    assert all(h["url"].startswith(f"https://example.com/talks/{talk_of(source)}.html#t=") for h in doc["highlights"])


# --- structure follows the talk ---------------------------------------------------------------


def check_sections_tile_the_talk(source: str, exact: bool = True):
    transcript, d = digest_for(source)
    segs = transcript.segments
    secs = d.sections
    assert secs[0].start_s == segs[0].start, "the first section opens with the first words"
    assert secs[-1].end_s == segs[-1].end, "the last section runs to the last words"
    for s in secs:
        assert s.start_s < s.end_s
    for a, b in zip(secs, secs[1:]):
        assert a.end_s <= b.start_s, f"{a.title!r} overlaps {b.title!r}"
        if exact:
            # No part of the talk falls between two sections: b opens with the segment after a's last.
            (last,) = [i for i, s in enumerate(segs) if s.end == a.end_s]
            assert segs[last + 1].start == b.start_s
        else:
            between = [s.text for s in segs if a.end_s <= s.start < b.start_s]
            assert between == [], f"said between {a.title!r} and {b.title!r}, in no section"


@pytest.mark.parametrize("source", SENTENCE_SOURCES)
def test_sections_are_in_order_disjoint_and_cover_the_talk(source):
    check_sections_tile_the_talk(source)


@pytest.mark.parametrize("source", ["bees/rechunked", "lighthouses/rechunked"])
def test_sections_do_not_overlap_when_topics_change_mid_segment(source):
    check_sections_tile_the_talk(source, exact=False)


def first_sentence_at_or_after(talk: str, t: float) -> int:
    return next(i for i, s in enumerate(sentences(talk)) if s["start"] >= t - 1e-6)


def true_boundaries(talk: str) -> list[int]:
    topics = [s["topic"] for s in sentences(talk)]
    return [i for i in range(1, len(topics)) if topics[i] != topics[i - 1]]


@pytest.mark.parametrize("source", SOURCES)
def test_the_first_section_boundary_is_within_one_sentence_of_the_topic_shift(source):
    _, d = digest_for(source)
    talk = talk_of(source)
    assert len(d.sections) >= 2
    found = first_sentence_at_or_after(talk, d.sections[1].start_s)
    assert abs(found - true_boundaries(talk)[0]) <= 1, (found, true_boundaries(talk))


@pytest.mark.parametrize("source", SENTENCE_SOURCES)
def test_with_sentence_timings_every_topic_shift_is_found(source):
    # Both talks pause a little longer between topics, which the segmenter weighs in; on the
    # rechunked transcripts (no such cue) its second boundary drifts by one or two sentences.
    _, d = digest_for(source)
    talk = talk_of(source)
    found = [first_sentence_at_or_after(talk, s.start_s) for s in d.sections[1:]]
    assert len(d.sections) == len(TALKS[talk]["topics"])
    assert all(abs(f - t) <= 1 for f, t in zip(found, true_boundaries(talk))), (found, true_boundaries(talk))


@pytest.mark.parametrize("source", SENTENCE_SOURCES)
def test_every_topic_is_represented_by_a_highlight_or_takeaway(source):
    _, d = digest_for(source)
    talk = talk_of(source)
    shown = [h.text for h in d.highlights] + d.takeaways
    topics = {sentences(talk)[sentence_index(talk, text)]["topic"] for text in shown}
    assert topics == set(range(len(TALKS[talk]["topics"])))


@pytest.mark.parametrize("source", SENTENCE_SOURCES)
def test_section_titles_are_phrases_said_in_that_section(source):
    # Headings are noun phrases ("The Fresnel lens"), no longer keyword lists; tests/test_offline_digest.py
    # holds the rest of what makes them read like a person's.
    transcript, d = digest_for(source)
    for s in d.sections:
        assert s.title[0].isupper() and 1 <= len(s.title.split()) <= 6
        inside = " ".join(seg.text for seg in transcript.segments if s.start_s <= seg.start < s.end_s)
        assert s.title.lower() in inside.lower(), f"{s.title!r} is not said in that section"
        content = [w for w in s.title.lower().split() if w not in STOPWORDS]
        assert content and not all(tokens(w)[0] in NUMBER_WORDS for w in content), s.title


def test_minutes_are_consistent_for_a_short_talk():
    d = finished("bees/sentences")
    assert d.watch_minutes == round(TALKS["bees"]["duration"] / 60, 1) == 1.2
    assert d.watch_minutes < d.reading_minutes < 3, "a 70-second talk's digest is a minute or two of reading"
    assert d.saved_minutes == 0, "reading the digest takes longer than the talk: nothing saved, nothing negative"


# --- answers ----------------------------------------------------------------------------------


def test_how_long_a_worker_lives_cites_the_six_weeks_sentence():
    a = ask("bees", "How long does a worker live in summer?")
    assert a.grounded
    assert [c.text for c in a.citations] == ["In summer, each worker lives for about six weeks."]
    assert (a.citations[0].start_s, a.citations[0].end_s) == (36.171, 39.603)
    assert "six weeks" in a.answer


def test_when_the_fresnel_lens_was_invented_cites_the_1822_sentence():
    a = ask("lighthouses", "When was the Fresnel lens invented?")
    assert a.grounded
    assert [c.text for c in a.citations] == ["The Fresnel lens was invented in eighteen twenty two."]
    assert a.citations[0].start_s == 27.65
    assert "eighteen twenty two" in a.answer


@pytest.mark.parametrize(
    "talk, question",
    [
        ("bees", "What is the capital of France?"),
        ("bees", "How do I bake sourdough bread?"),
        ("bees", "How many eyes does a bee have?"),
        ("lighthouses", "What is the capital of France?"),
        ("lighthouses", "How do I bake sourdough bread?"),
    ],
)
def test_unrelated_questions_are_not_answered(talk, question):
    a = ask(talk, question)
    assert a.grounded is False and a.citations == []
    assert a.answer.strip() and "does not" in a.answer


def test_a_follow_up_is_answered_from_the_passage_it_is_about():
    first = ask("lighthouses", "What did keepers do every night?")
    assert [c.text for c in first.citations] == ["Every night, a keeper climbed the tower to light the oil lamp."]
    a = ask("lighthouses", "And what replaced them?", [Turn(question=first.question, answer=first.answer)])
    assert a.grounded
    assert [c.text for c in a.citations] == ["Electric lamps and timers replaced the keepers."]
    assert a.citations[0].start_s == 50.229


def test_a_follow_up_without_content_words_leans_on_the_previous_question():
    first = ask("bees", "Who invented the modern hive?")
    langstroth = "In eighteen fifty one, Lorenzo Langstroth invented the modern hive with wooden frames."
    assert [c.text for c in first.citations] == [langstroth]
    a = ask("bees", "When did that happen?", [Turn(question=first.question, answer=first.answer)])
    assert a.grounded and [c.text for c in a.citations] == [langstroth]


def test_a_question_in_another_tense_finds_its_answer():
    a = ask("lighthouses", "What replaces the keepers?")
    assert [c.text for c in a.citations] == ["Electric lamps and timers replaced the keepers."]


@pytest.mark.parametrize(
    "talk, question",
    [
        ("bees", "How long does a worker live in summer?"),
        ("lighthouses", "When was the Fresnel lens invented?"),
        ("bees", "What is the capital of France?"),
    ],
)
def test_answers_survive_grounding_and_validate_against_the_schema(talk, question):
    answer_only, either = schema_validator("answer")
    a = ask(talk, question)
    grounded = finish_answer(ground_answer(a, sentence_transcript(talk)), video(talk).url)
    assert [(c.start_s, c.end_s, c.text) for c in grounded.citations] == [
        (c.start_s, c.end_s, c.text) for c in a.citations
    ]
    assert grounded.grounded == a.grounded
    doc = grounded.model_dump(mode="json")
    assert [f"{list(e.absolute_path)}: {e.message}" for e in answer_only.iter_errors(doc)] == []
    either.validate(doc)


# --- deterministic ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_two_runs_give_equal_digests(source):
    transcript = SOURCES[source]()
    v = video(talk_of(source))
    assert ExtractiveWriter().write_digest(v, transcript) == ExtractiveWriter().write_digest(v, transcript)


_PRINT_DIGESTS = """
import json
from summarizer.extractive import ExtractiveWriter
from tests.support.talk_fixtures import sentence_transcript, video
print(json.dumps([ExtractiveWriter().write_digest(video(t), sentence_transcript(t)).model_dump(mode="json")
                  for t in ("bees", "lighthouses")], sort_keys=True))
"""


def test_digests_do_not_depend_on_hash_randomisation():
    def run(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        return subprocess.run(
            [sys.executable, "-c", _PRINT_DIGESTS], cwd=REPO, env=env, capture_output=True, text=True, check=True
        ).stdout

    first = run("1")
    assert json.loads(first)[0]["writer"] == "extractive"
    assert run("2") == first == run("12345")
