"""The offline digest reads like a person wrote it: questions a listener would ask, headings that
are phrases, an opening paragraph for a hook, takeaways that never say the same thing twice."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from summarizer.captions import parse_captions
from summarizer.extractive import ExtractiveWriter, SectionMaker
from summarizer.headings import _article_nouns, _tidy
from summarizer.models import Digest, Segment, Transcript
from summarizer.text import tokens, units
from summarizer.topics import NUMBER_WORDS, cosine
from tests.support.claude_script import generated_talk
from tests.support.talk_fixtures import FIXTURES, rechunked_transcript, sentence_transcript, sentences, video

SOURCES = {
    "bees/sentences": lambda: sentence_transcript("bees"),
    "bees/rechunked": lambda: rechunked_transcript("bees"),
    "lighthouses/sentences": lambda: sentence_transcript("lighthouses"),
    "lighthouses/rechunked": lambda: rechunked_transcript("lighthouses"),
}


def written(transcript: Transcript, talk: str = "bees") -> Digest:
    return ExtractiveWriter().write_digest(video(talk), transcript)


_digests: dict[str, tuple[Transcript, Digest]] = {}


def digest_for(source: str) -> tuple[Transcript, Digest]:
    if source not in _digests:
        transcript = SOURCES[source]()
        _digests[source] = transcript, written(transcript, source.split("/")[0])
    return _digests[source]


def questions(d: Digest) -> list[str]:
    return [d.core_question, *(q.question for s in d.sections for q in s.deeper), *(q.question for q in d.qa)]


def near_duplicates(texts: list[str]) -> list[tuple[str, str]]:
    bags = [Counter(tokens(t, "en")) for t in texts]
    return [(texts[i], texts[j]) for i in range(len(texts)) for j in range(i) if cosine(bags[i], bags[j]) >= 0.5]


# --- questions --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_no_question_is_a_filled_in_template(source):
    _, d = digest_for(source)
    asked = questions(d)
    assert len(asked) >= 4
    for q in asked:
        assert not q.startswith("What does the video say about"), q
        assert q.endswith("?") and q[0].isupper() and len(q.split()) <= 14, q
        assert not re.search(r"\b(it|its|they|them|this|these|those)\b", q.lower()), f"leans on a pronoun: {q!r}"
    assert len({q.lower() for q in asked}) == len(asked), "a question is asked once"


@pytest.mark.parametrize("source", SOURCES)
def test_every_question_is_answered_by_a_sentence_of_the_talk_at_its_start(source):
    transcript, d = digest_for(source)
    said = {u.text: u.start for u in units(transcript.segments)}
    for q in [*(q for s in d.sections for q in s.deeper), *d.qa]:
        assert said.get(q.answer) == q.start_s, q


@pytest.mark.parametrize(
    "talk, question, answer",
    [
        ("bees", "When was the modern hive invented?", "Lorenzo Langstroth invented the modern hive"),
        ("bees", "How long does each worker live in summer?", "each worker lives for about six weeks"),
        ("bees", "Why do honey bees do a little dance?", "Honey bees do a little dance"),
        ("lighthouses", "When was the Fresnel lens invented?", "The Fresnel lens was invented"),
        ("lighthouses", "Why were early lights weak?", "Early lights were weak, because"),
        ("lighthouses", "When did lighthouses become automatic?", "lighthouses became automatic"),
    ],
)
def test_questions_a_listener_would_ask_are_asked_and_answered(talk, question, answer):
    _, d = digest_for(f"{talk}/sentences")
    pairs = {q.question: q.answer for s in d.sections for q in s.deeper} | {q.question: q.answer for q in d.qa}
    asked = [*pairs, d.core_question]
    assert question in asked, asked
    if question in pairs:
        assert answer in pairs[question]


@pytest.mark.parametrize(
    ("talk", "core"),
    [("sourdough", "How do you keep a sourdough starter alive?"), ("outage", "What happened last Tuesday?")],
)
def test_the_core_question_is_the_one_the_speaker_announces(talk, core):
    d = written(sentence_transcript(talk), talk)
    assert d.core_question == core
    assert core not in questions(d)[1:], "asked once"


# --- headings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_headings_are_short_phrases_said_in_their_section(source):
    transcript, d = digest_for(source)
    for s in d.sections:
        inside = " ".join(seg.text for seg in transcript.segments if s.start_s <= seg.start < s.end_s).lower()
        words = s.title.split()
        assert 1 <= len(words) <= 6 and s.title[0].isupper(), s.title
        assert " and " not in s.title and "," not in s.title, f"a keyword list: {s.title!r}"
        assert not all(tokens(w, "en") == [] or tokens(w, "en")[0] in NUMBER_WORDS for w in words), s.title
        assert s.title.lower() in inside, f"{s.title!r} is not a phrase said in its section"
    assert len({s.title.lower() for s in d.sections}) == len(d.sections), "two sections, two headings"


def test_the_bees_talk_gets_the_headings_a_reader_expects():
    _, d = digest_for("bees/sentences")
    assert [s.title for s in d.sections] == ["Wooden frames", "Workers", "Serious threats"]


# --- the hook ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_the_hook_is_the_opening_paragraph(source):
    transcript, d = digest_for(source)
    us = units(transcript.segments)
    picked = [u for u in us if u.text in d.hook]
    assert " ".join(u.text for u in picked) == d.hook, "the hook is whole sentences of the talk"
    indices = [u.index for u in picked]
    assert indices == list(range(indices[0], indices[0] + len(indices))), "sentences that follow one another"
    assert picked[0].start < d.sections[0].end_s, "from where the talk opens its subject"
    assert 2 <= len(picked) <= 3


# --- takeaways --------------------------------------------------------------------------------


def repeated_talk() -> Transcript:
    """The bees talk with its middle said twice (a speaker who recaps, a video that loops)."""
    said = sentences("bees")
    again = [s for s in said if s["topic"] == 1]
    offset = said[-1]["end"] + 1.0
    segs = [Segment(start=s["start"], end=s["end"], text=s["text"]) for s in said]
    segs += [Segment(start=s["start"] + offset, end=s["end"] + offset, text=s["text"]) for s in again]
    return Transcript(segments=segs, source="captions", language="en")


def test_a_passage_said_twice_gives_each_takeaway_highlight_and_question_once():
    d = written(repeated_talk())
    assert near_duplicates(d.takeaways) == []
    assert near_duplicates([h.text for h in d.highlights]) == []
    answers = [q.answer for s in d.sections for q in s.deeper] + [q.answer for q in d.qa]
    assert len(answers) == len(set(answers))
    assert len(set(questions(d))) == len(questions(d))


# --- sections and highlights read on their own ------------------------------------------------

LEANING_TALK = [
    "Welcome to the quarterly capacity review for the storage cluster.",
    "Right now the cluster holds about six hundred terabytes of data.",
    "Usage grew by around four percent each month this year.",
    "The alternative is moving old backups to cheaper cold storage.",
    "That would free up around a hundred and fifty terabytes of cluster storage.",
    "It costs a tenth of the price, but restoring from cold storage takes up to a day.",
    "Our recommendation is to move the backups now and order six nodes next quarter.",
]


def leaning_transcript() -> Transcript:
    segs = [Segment(start=6.0 * i, end=6.0 * i + 5, text=t) for i, t in enumerate(LEANING_TALK)]
    return Transcript(segments=segs, source="captions", language="en")


def test_a_summary_sentence_that_leans_on_the_one_before_comes_with_it():
    us = units(leaning_transcript().segments)
    maker = SectionMaker(us, "en", {u.index: 1.0 if u.index == 5 else 0.1 for u in us})
    section = maker.section(us[3:7])
    assert section.summary.startswith(LEANING_TALK[3] + " " + LEANING_TALK[4] + " " + LEANING_TALK[5])
    # ...and one that leans on a sentence of another section is passed over.
    alone = maker.section(us[4:7])
    assert not alone.summary.startswith(("That", "It")), alone.summary


def test_the_quote_stands_alone_and_is_not_the_summary_said_again():
    us = units(leaning_transcript().segments)
    maker = SectionMaker(us, "en", {u.index: 1.0 - 0.1 * u.index for u in us})
    section = maker.section(us[0:3])
    assert section.summary == LEANING_TALK[0]
    assert section.quote is not None and section.quote.text == LEANING_TALK[1]
    leaning = maker.section(us[3:7])
    assert leaning.quote is not None and not leaning.quote.text.startswith(("That", "It"))


@pytest.mark.parametrize("source", [*SOURCES, "leaning"])
def test_highlights_quotes_and_takeaways_stand_alone(source):
    d = written(leaning_transcript()) if source == "leaning" else digest_for(source)[1]
    moments = [h.text for h in d.highlights] + [s.quote.text for s in d.sections if s.quote] + d.takeaways
    assert not [m for m in moments if m.split()[0].lower() in ("it", "that", "this", "they")]


@pytest.mark.parametrize("source", SOURCES)
def test_takeaways_never_repeat_one_another(source):
    _, d = digest_for(source)
    assert d.takeaways and near_duplicates(d.takeaways) == []


# --- other languages: no English rules on French words ----------------------------------------

FRENCH = [
    "Les abeilles vivent avec les hommes depuis neuf mille ans.",
    "En Égypte ancienne, les paysans transportaient leurs ruches sur des bateaux.",
    "Pendant des siècles, les apiculteurs utilisaient des paniers de paille.",
    "Pourquoi les abeilles dansent-elles ?",
    "Elles dansent pour montrer à leurs sœurs où trouver les fleurs.",
    "Une ruche compte une reine, des milliers d'ouvrières et quelques centaines de faux bourdons.",
    "La reine pond deux mille œufs par jour.",
    "En été, une ouvrière vit environ six semaines.",
    "Aujourd'hui, les abeilles font face à de graves menaces.",
    "De minuscules acariens attaquent les jeunes abeilles et propagent des maladies.",
    "Les produits chimiques agricoles peuvent tuer les abeilles.",
    "Planter des fleurs est un moyen simple de les aider.",
]


def test_a_french_talk_asks_only_the_questions_its_speaker_asks():
    segs = [Segment(start=i * 5.0, end=i * 5.0 + 4.5, text=t) for i, t in enumerate(FRENCH)]
    d = written(Transcript(segments=segs, source="captions", language="fr"))
    qas = [q for s in d.sections for q in s.deeper] + list(d.qa)
    assert [(q.question, q.answer) for q in qas] == [(FRENCH[3], FRENCH[4])]
    assert d.core_question == FRENCH[3]
    text = " ".join(FRENCH).lower()
    for s in d.sections:
        assert s.title.lower() in text and len(s.title.split()) <= 6, s.title


@pytest.mark.parametrize(
    ("track", "language", "expected"),
    [
        ("ruches.fr.vtt", "fr", ["Le toit", "La ville", "Ouvrière"]),
        ("windpark.de.vtt", "de", ["Die Genossenschaft", "Die Rotorblätter", "Lärm"]),
        ("chocolate.es.vtt", "es", ["La historia", "Las semillas", "La mayor parte"]),
    ],
)
def test_headings_in_other_languages_are_nouns_the_section_names(track, language, expected):
    """Not runs of content words cut anywhere ("Colonie compte environ cinquante mille", "Vier
    Jahren Planung wurden drei"): the noun an article opens, with the article when it reads as a title."""
    segments = parse_captions((FIXTURES / "media" / track).read_text(), "vtt")
    d = written(Transcript(segments=segments, source="captions", language=language))
    assert [s.title for s in d.sections] == expected
    for s in d.sections:
        said = " ".join(seg.text for seg in segments if s.start_s <= seg.start < s.end_s).lower()
        assert s.title.lower() in said, (s.title, said)


@pytest.mark.parametrize(
    ("sentence", "language", "nouns"),
    [
        ("La première ruche a été posée sur le toit d'une école.", "fr", ["La première ruche", "Le toit", "École"]),
        ("L'abeille vit six semaines, l\u2019école aussi.", "fr", ["L'abeille", "L'école"]),
        ("Gli alberi e i fiori della città.", "it", ["Gli alberi", "Fiori", "Città"]),
        ("Wir haben die eigenen Windräder und das Dorf gebaut.", "de", ["Das Dorf"]),
        ("Hace tres mil años, los olmecas cultivaban el cacao.", "es", ["Los olmecas", "El cacao"]),
    ],
)
def test_the_nouns_articles_open(sentence, language, nouns):
    assert [_tidy(p) for p in _article_nouns(sentence, language)] == nouns


def test_a_talk_full_of_numbers_gets_no_number_for_a_heading():
    d = written(generated_talk(10))  # "…makes point number 17 about subject 17…": digits everywhere
    for s in d.sections:
        words = [w for w in re.findall(r"\w+", s.title) if not w.isdigit() and w.lower() not in NUMBER_WORDS]
        assert words and not s.title.replace(" ", "").isdigit(), s.title


JAPANESE = [
    "ミツバチは九千年以上も前から人間に飼われてきました。",
    "古代エジプトでは、農民が巣箱を船に載せて川を運びました。",
    "何世紀もの間、養蜂家はわらで編んだかごを使っていました。",
    "千八百五十一年に、ラングストロスが木の枠を使った近代的な巣箱を発明しました。",
    "この枠のおかげで、養蜂家は群れを傷つけずに蜂蜜を取ることができます。",
    "巣には女王蜂が一匹、働き蜂が何千匹、雄蜂が数百匹います。",
    "女王蜂は一日に二千個の卵を産むことができます。",
    "夏の働き蜂の寿命は約六週間です。",
    "働き蜂は蜜ろうを作り、巣房を掃除し、巣の入り口を守ります。",
    "ミツバチはなぜ踊るのでしょうか？",
    "仲間に花の場所を教えるためです。",
    "今日、ミツバチは多くの深刻な脅威に直面しています。",
    "小さなダニが若い蜂を襲い、病気を広げます。",
    "農薬は蜂を混乱させ、殺してしまうことがあります。",
    "野原が失われると、蜂の食べ物が減ります。",
]


def test_a_japanese_talk_gets_short_headings_of_its_own_words_and_its_speakers_question():
    segs = [Segment(start=i * 5.0, end=i * 5.0 + 4.5, text=t) for i, t in enumerate(JAPANESE)]
    transcript = Transcript(segments=segs, source="captions", language="ja")
    d = written(transcript)
    assert d.core_question == JAPANESE[9]
    for s in d.sections:
        inside = "".join(seg.text for seg in segs if s.start_s <= seg.start < s.end_s)
        assert 2 <= len(s.title) <= 8 and s.title in inside, s.title
    assert [(q.question, q.answer) for s in d.sections for q in s.deeper] == [(JAPANESE[9], JAPANESE[10])]


def test_unpunctuated_automatic_captions_get_no_made_up_questions():
    # YouTube's automatic captions: lower case, no punctuation, cut every few words.
    said = " ".join(re.sub(r"[^\w\s']", "", s["text"]).lower() for s in sentences("bees")).split()
    segs = [
        Segment(start=i * 1.5, end=i * 1.5 + 1.4, text=" ".join(said[i * 6 : i * 6 + 6]))
        for i in range(len(said) // 6 + 1)
        if said[i * 6 : i * 6 + 6]
    ]
    d = written(Transcript(segments=segs, source="auto-captions", language="en"))
    assert [q.question for s in d.sections for q in s.deeper] == [] and d.qa == []
    assert d.core_question == "What is this talk about?"
    for s in d.sections:
        assert 1 <= len(s.title.split()) <= 6 and " and " not in s.title


def test_caption_markup_and_mentions_give_no_heading_in_other_languages():
    assert _article_nouns("La <!channel> est la @everyone du <@U1> toit, le **miel**.", "fr") == []
