"""summarizer.grounding: what a writer produced is checked against the transcript before anyone sees it."""

from __future__ import annotations

import re

import pytest

from summarizer.errors import WriterFailed
from summarizer.grounding import (
    WORDS_PER_MINUTE,
    TranscriptText,
    UngroundedOutput,
    finish_answer,
    finish_digest,
    ground_answer,
    ground_digest,
)
from summarizer.models import QA, Answer, Citation, Digest, Moment, Section, Segment, Transcript, TranscriptInfo, Video
from summarizer.text import word_count
from tests.support.talk_fixtures import sentence_transcript

# A small talk with a short pause (5.0-5.5), a long one (11-15), a sentence spanning two segments
# and a phrase said twice ("workers make wax").
SEGMENTS = [
    (3.0, 5.0, "Bees live in hives."),
    (5.5, 8.0, "Each hive has one queen, and"),
    (8.0, 11.0, "thousands of workers."),
    (15.0, 18.0, "Workers make wax. Say it again:"),
    (18.5, 21.0, "workers make wax."),
]
TRANSCRIPT = Transcript(segments=[Segment(start=a, end=b, text=t) for a, b, t in SEGMENTS], source="whisper")
VIDEO = Video(key="youtube:dQw4w9WgXcQ", url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", title="Bees", duration_s=22)


@pytest.fixture
def tt() -> TranscriptText:
    return TranscriptText(TRANSCRIPT)


# --- snap ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "t, expected",
    [
        (3.0, 3.0),
        (4.9, 3.0),  # inside the first segment
        (6.7, 5.5),
        (9.9, 8.0),  # inside later ones
        (15.0, 15.0),  # exactly at a start
        (7.97, 8.0),  # a hair before a start rounds onto it
    ],
)
def test_snap_inside_a_segment_gives_its_start(tt, t, expected):
    assert tt.snap(t) == expected


def test_snap_in_a_gap(tt):
    assert tt.snap(5.2) in (3.0, 5.5), "a short pause belongs to a segment beside it"
    assert tt.snap(12.0) == 8.0, "within the slack after a segment's end"
    assert tt.snap(13.0) is None, "deep in a long silence nothing is being said"


def test_snap_before_the_first_segment(tt):
    assert tt.snap(2.0) == 3.0, "just before the first words: the first segment"
    assert tt.snap(0.0) is None, "long before anyone speaks: no segment"


def test_snap_after_the_last_segment(tt):
    assert tt.snap(21.0) == 18.5
    assert tt.snap(22.0) == 18.5
    assert tt.snap(30.0) is None
    assert tt.snap(10_000.0) is None


def test_snap_of_nothing(tt):
    assert tt.snap(None) is None
    assert TranscriptText(Transcript(segments=[], source="captions")).snap(1.0) is None


def test_snap_of_the_clock_a_writer_read_gives_that_lines_segment():
    transcript = sentence_transcript("bees")
    tt = TranscriptText(transcript)
    wrong = []
    for line, segment in zip(transcript.as_stamped_lines().splitlines(), transcript.segments):
        minutes, seconds = re.match(r"\[(\d+):(\d\d)\]", line).groups()
        shown = int(minutes) * 60 + int(seconds)
        if tt.snap(shown) != segment.start:
            wrong.append((line[:40], tt.snap(shown)))
    assert wrong == []


# --- locate --------------------------------------------------------------------------------------


def test_locate_a_verbatim_quote(tt):
    assert tt.locate("Bees live in hives.") == (3.0, 5.0)
    assert tt.locate("Each hive has one queen, and") == (5.5, 8.0)


def test_locate_ignores_case_and_punctuation(tt):
    assert tt.locate("EACH hive has one QUEEN") == (5.5, 8.0)
    assert tt.locate("“Bees — live in hives!”") == (3.0, 5.0)


def test_locate_a_quote_spanning_two_segments(tt):
    assert tt.locate("one queen, and thousands of workers") == (5.5, 11.0)


@pytest.mark.parametrize("quote", ["Bees live in caves.", "Each hive has two queens", "", "?!"])
def test_locate_what_was_never_said(tt, quote):
    assert tt.locate(quote) is None


def test_locate_a_repeated_phrase_nearest_to_the_hint(tt):
    assert tt.locate("workers make wax") == (15.0, 18.0), "without a hint: the first time it is said"
    assert tt.locate("workers make wax", near=20.0) == (18.5, 21.0)
    assert tt.locate("Workers make wax!", near=14.0) == (15.0, 18.0)


def test_locate_matches_whole_words_only():
    tt = TranscriptText(Transcript(segments=[Segment(start=0, end=2, text="She said no.")], source="whisper"))
    assert tt.locate("He said no") is None


def test_locate_in_a_non_latin_transcript():
    tt = TranscriptText(
        Transcript(
            segments=[
                Segment(start=0, end=2, text="Пчёлы живут в ульях."),
                Segment(start=2, end=4, text="У улья одна матка."),
            ],
            source="whisper",
            language="ru",
        )
    )
    assert tt.locate("пчёлы живут") == (0, 2)


# --- ground_digest -------------------------------------------------------------------------------


def draft(**update) -> Digest:
    base = Digest(
        video=VIDEO,
        transcript=TranscriptInfo(source="whisper", segments=len(SEGMENTS), covered_s=21.0),
        writer="claude-test",
        hook="Bees, queens and wax.",
        core_question="How does a hive work?",
        highlights=[Moment(text="Hives", start_s=3.2), Moment(text="Wax", start_s=16.0)],
        sections=[Section(title="Hive", start_s=3.0, end_s=11.0, summary="About the hive.")],
        takeaways=["Bees make wax."],
        reading_minutes=0,
        watch_minutes=0,
        saved_minutes=0,
    )
    return base.model_copy(update=update)


def test_ground_digest_snaps_highlights_and_drops_impossible_ones():
    d = draft(
        highlights=[
            Moment(text="Queen", start_s=6.7),
            Moment(text="After the end", start_s=99.0),
            Moment(text="In the silence", start_s=13.0),
            Moment(text="Wax", start_s=16.2),
        ]
    )
    got = ground_digest(d, TRANSCRIPT).highlights
    assert [(h.text, h.start_s) for h in got] == [("Queen", 5.5), ("Wax", 15.0)]


def test_ground_digest_snaps_section_starts_clips_ends_and_orders_sections():
    d = draft(
        sections=[
            Section(title="Wax", start_s=16.4, end_s=300.0, summary="Wax."),
            Section(title="Hive", start_s=6.1, end_s=10.0, summary="Hive."),
            Section(title="Imagined", start_s=500.0, end_s=600.0, summary="Never said."),
        ]
    )
    got = ground_digest(d, TRANSCRIPT).sections
    assert [(s.title, s.start_s, s.end_s) for s in got] == [("Hive", 5.5, 10.0), ("Wax", 15.0, 21.0)]


def test_ground_digest_drops_a_made_up_quotation_but_keeps_its_section():
    d = draft(
        sections=[
            Section(
                title="Hive",
                start_s=3.0,
                end_s=11.0,
                summary="About the hive.",
                quote=Moment(text="Bees build their nests underground.", start_s=3.0),
            )
        ]
    )
    (section,) = ground_digest(d, TRANSCRIPT).sections
    assert section.quote is None
    assert section.summary == "About the hive." and section.start_s == 3.0


def test_ground_digest_moves_a_quote_to_where_it_is_really_said():
    d = draft(
        sections=[
            Section(
                title="Hive",
                start_s=3.0,
                end_s=11.0,
                summary="S.",
                quote=Moment(text="thousands of workers", start_s=20.0),
            ),
            Section(
                title="Wax",
                start_s=15.0,
                end_s=21.0,
                summary="S.",
                quote=Moment(text="Workers make wax.", start_s=20.9),
            ),
        ]
    )
    hive, wax = ground_digest(d, TRANSCRIPT).sections
    assert (hive.quote.text, hive.quote.start_s) == ("thousands of workers", 8.0)
    assert (wax.quote.text, wax.quote.start_s) == ("Workers make wax.", 18.5), "the repeat nearest the writer's time"


def test_ground_digest_snaps_qa_times_and_unlinks_unplaceable_ones_without_dropping_them():
    d = draft(
        qa=[
            QA(question="Who lays eggs?", answer="The queen.", start_s=9.0),
            QA(question="Why?", answer="Because.", start_s=99.0),
        ],
        sections=[
            Section(
                title="Hive",
                start_s=3.0,
                end_s=11.0,
                summary="S.",
                deeper=[QA(question="How many?", answer="Thousands.", start_s=4.4)],
            )
        ],
    )
    g = ground_digest(d, TRANSCRIPT)
    assert [(q.question, q.start_s) for q in g.qa] == [("Who lays eggs?", 8.0), ("Why?", None)]
    assert [(q.question, q.start_s) for q in g.sections[0].deeper] == [("How many?", 3.0)]


def test_ground_digest_keeps_what_is_already_grounded_unchanged():
    d = draft(
        highlights=[Moment(text="Hives", start_s=3.0), Moment(text="Wax", start_s=18.5)],
        sections=[
            Section(
                title="Hive",
                start_s=5.5,
                end_s=11.0,
                summary="S.",
                quote=Moment(text="Each hive has one queen", start_s=5.5),
            )
        ],
    )
    assert ground_digest(d, TRANSCRIPT) == d


def test_ground_digest_refuses_a_digest_with_no_section_grounded():
    with pytest.raises(UngroundedOutput, match="claude-test") as caught:
        ground_digest(draft(sections=[Section(title="Later", start_s=99.0, end_s=120.0, summary="S.")]), TRANSCRIPT)
    assert isinstance(caught.value, WriterFailed)  # a writer's failure, never a settings error


def test_highlights_that_all_miss_the_transcript_are_replaced_by_the_transcripts_own():
    d = ground_digest(
        draft(highlights=[Moment(text="Later", start_s=99.0), Moment(text="Silence", start_s=13.0)]), TRANSCRIPT
    )
    starts = {s.start for s in TRANSCRIPT.segments}
    assert d.highlights and all(h.start_s in starts for h in d.highlights)
    assert all(h.text in TRANSCRIPT.text for h in d.highlights)  # verbatim: true by construction
    assert d.hook == "Bees, queens and wax." and d.sections[0].title == "Hive"  # the writer's work is kept


# --- ground_answer -------------------------------------------------------------------------------


def test_ground_answer_keeps_real_citations_at_their_true_times_and_drops_fabricated_ones():
    answer = Answer(
        question="How many workers?",
        answer="Thousands of workers.",
        grounded=True,
        citations=[
            Citation(start_s=0.0, end_s=1.0, text="one queen, and thousands of workers"),
            Citation(start_s=4.0, end_s=5.0, text="Each hive has ten thousand drones."),
            Citation(start_s=20.0, end_s=20.5, text="workers make wax"),
        ],
    )
    got = ground_answer(answer, TRANSCRIPT)
    assert got.grounded and got.answer == "Thousands of workers."
    assert [(c.start_s, c.end_s, c.text) for c in got.citations] == [
        (5.5, 11.0, "one queen, and thousands of workers"),
        (18.5, 21.0, "workers make wax"),
    ]


def test_ground_answer_with_only_fabricated_citations_is_not_grounded():
    answer = Answer(
        question="Do bees sting?",
        answer="Yes, twice a day.",
        grounded=True,
        citations=[Citation(start_s=3.0, end_s=5.0, text="Bees sting twice a day.")],
    )
    got = ground_answer(answer, TRANSCRIPT)
    assert got.grounded is False and got.citations == []
    assert "twice a day" not in got.answer and got.answer.strip()
    assert got.question == "Do bees sting?"


def test_ground_answer_leaves_an_honest_no_alone():
    answer = Answer(question="Capital of France?", answer="The video does not say.", grounded=False)
    assert ground_answer(answer, TRANSCRIPT) == answer


def test_finish_answer_links_each_citation():
    answer = Answer(
        question="Q",
        answer="A",
        grounded=True,
        citations=[Citation(start_s=15.0, end_s=18.0, text="Workers make wax.")],
    )
    (c,) = finish_answer(answer, VIDEO.url).citations
    assert c.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=15s"


# --- finish_digest: links and minutes --------------------------------------------------------------


def linked(url: str) -> Digest:
    d = draft(
        highlights=[Moment(text="Queen", start_s=75.9), Moment(text="Start", start_s=0.4)],
        sections=[
            Section(title="Hive", start_s=3.0, end_s=11.0, summary="S.", quote=Moment(text="q", start_s=125.0)),
            Section(title="Wax", start_s=15.0, end_s=21.0, summary="S."),
        ],
    )
    return finish_digest(d, url)


def test_finish_digest_links_youtube_moments_with_t_seconds():
    d = linked("https://youtu.be/dQw4w9WgXcQ")
    assert [h.url for h in d.highlights] == [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=75s",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=0s",
    ]
    assert d.sections[0].quote.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=125s"
    assert d.sections[1].quote is None


def test_finish_digest_links_other_pages_with_a_media_fragment():
    d = linked("https://example.com/talks/bees.mp4")
    page = "https://example.com/talks/bees.mp4"
    assert [h.url for h in d.highlights] == [f"{page}#t=75", f"{page}#t=0"]
    assert d.sections[0].quote.url == "https://example.com/talks/bees.mp4#t=125"


@pytest.mark.parametrize("path", ["/home/me/talks/bees.mp4", "bees.mp4"])
def test_finish_digest_gives_no_link_for_a_local_file(path):
    d = linked(path)
    assert [h.url for h in d.highlights] == [None, None]
    assert d.sections[0].quote.url is None


def words_digest(total_words: int, duration_s: float, covered_s: float = 21.0) -> Digest:
    """A digest whose readable text is exactly `total_words` words, all of them in the hook but 12."""
    fixed = dict(
        core_question="How does it work?",  # 4
        highlights=[Moment(text="Queen lays eggs", start_s=5.5)],  # 3
        takeaways=["Wax matters."],  # 2
        sections=[
            Section(
                title="Hive",
                start_s=3.0,
                end_s=11.0,
                summary="About hives.",  # 1 + 2
                deeper=[],
            )
        ],
    )
    hook = " ".join(["word"] * (total_words - 12))
    d = draft(
        hook=hook,
        video=VIDEO.model_copy(update={"duration_s": duration_s}),
        transcript=TranscriptInfo(source="whisper", segments=5, covered_s=covered_s),
        **fixed,
    )
    readable = (d.hook, d.core_question, "Queen lays eggs", "Wax matters.", "Hive", "About hives.")
    assert sum(word_count(x) for x in readable) == total_words
    return d


@pytest.mark.parametrize(
    "words, duration_s, reading, watch, saved",
    [
        (690, 600.0, 3.0, 10.0, 7.0),  # 690 words at 230 wpm: 3 minutes of reading for 10 of watching
        (2300, 1800.0, 10.0, 30.0, 20.0),
        (460, 60.0, 2.0, 1.0, 0.0),  # reading the digest takes longer than the video: saves nothing
    ],
)
def test_finish_digest_minutes(words, duration_s, reading, watch, saved):
    d = finish_digest(words_digest(words, duration_s), VIDEO.url)
    assert (d.reading_minutes, d.watch_minutes, d.saved_minutes) == (reading, watch, saved)
    assert d.saved_minutes >= 0


def test_reading_time_counts_every_part_of_the_digest_a_person_reads():
    base = words_digest(230, 600.0)
    more = base.model_copy(
        update={
            "qa": [QA(question=" ".join(["q"] * 115), answer=" ".join(["a"] * 115))],
            "sections": [
                base.sections[0].model_copy(
                    update={
                        "quote": Moment(text=" ".join(["x"] * 115), start_s=3.0),
                        "deeper": [QA(question="Why?", answer=" ".join(["y"] * 114))],
                    }
                )
            ],
        }
    )
    assert finish_digest(base, VIDEO.url).reading_minutes == 1.0
    assert finish_digest(more, VIDEO.url).reading_minutes == round((230 + 230 + 230) / WORDS_PER_MINUTE, 1) == 3.0


def test_watch_time_falls_back_to_the_transcript_when_the_duration_is_unknown():
    d = finish_digest(words_digest(230, 0.0, covered_s=900.0), VIDEO.url)
    assert (d.reading_minutes, d.watch_minutes, d.saved_minutes) == (1.0, 15.0, 14.0)


@pytest.mark.parametrize("words, duration_s", [(92, 180.0), (368, 600.0)])
def test_saved_minutes_is_watch_minus_reading(words, duration_s):
    d = finish_digest(words_digest(words, duration_s), VIDEO.url)
    assert d.saved_minutes == pytest.approx(max(0.0, d.watch_minutes - d.reading_minutes), abs=0.01)


# --- links a writer may not add ------------------------------------------------------------------

SAID = Transcript(
    segments=[
        Segment(start=0.0, end=4.0, text="Bees dance to tell the hive where flowers are."),
        Segment(start=4.0, end=8.0, text="Our field guide is at https://bees.example.org/guide."),
    ],
    source="captions",
)


@pytest.mark.parametrize(
    "written, shown",
    [
        ("Claim your prize at https://evil.example/login now.", "Claim your prize at (link removed) now."),
        ("Log in [here](https://evil.example/login) first.", "Log in here first."),
        ("Log in <https://evil.example/login|here> first.", "Log in here first."),
        ("See <https://evil.example/login>.", "See (link removed)."),
        ("Visit www.evil.example/login today", "Visit (link removed) today"),
        ("[https://bees.example.org/guide](https://evil.example/x)", "https://bees.example.org/guide"),
        ("[](javascript:alert(1))", "(link removed)"),
        # What the video says, and the video itself, stay linked:
        ("The guide: https://bees.example.org/guide.", "The guide: https://bees.example.org/guide."),
        ("[the guide](https://bees.example.org/guide)", "[the guide](https://bees.example.org/guide)"),
        (
            "Rewatch <https://youtu.be/dQw4w9WgXcQ?t=4|the dance>.",
            "Rewatch <https://youtu.be/dQw4w9WgXcQ?t=4|the dance>.",
        ),
        (
            "At https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=4s it dances.",
            "At https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=4s it dances.",
        ),
    ],
)
def test_links_the_video_never_gave_lose_their_link(written, shown):
    d = ground_digest(
        draft(
            hook=written,
            takeaways=[written],
            sections=[
                Section(
                    title="Dance",
                    start_s=0.0,
                    end_s=8.0,
                    summary=written,
                    deeper=[QA(question="Where?", answer=written)],
                )
            ],
            qa=[QA(question=written, answer=written)],
        ),
        SAID,
    )
    assert d.hook == shown and d.takeaways == [shown]
    assert d.sections[0].summary == shown and d.sections[0].deeper[0].answer == shown
    assert d.qa[0].question == d.qa[0].answer == shown


def test_an_answer_keeps_only_the_links_the_video_gave():
    answer = Answer(
        question="Where is the guide? https://evil.example/asked",
        grounded=True,
        answer="At https://bees.example.org/guide, or sign in at [bees](https://evil.example/phish).",
        citations=[Citation(start_s=4.0, end_s=8.0, text="Our field guide is at")],
    )
    grounded = ground_answer(answer, SAID, VIDEO.url)
    assert grounded.answer == "At https://bees.example.org/guide, or sign in at bees."
    assert grounded.question == answer.question  # what the person asked is theirs, not the writer's
