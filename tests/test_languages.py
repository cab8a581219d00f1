"""Captioned talks in French, German, Spanish and Japanese, end to end through real yt-dlp.

Each talk is a page whose <track> holds the talk (tests/fixtures/make_caption_talks.py writes
them; languages.json has every sentence's start). The captions path must keep the track's
language on the transcript, build a digest, and answer questions asked in that language from the
sentence that answers them (±3 s), through the real ExtractiveWriter and grounding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from summarizer.captions import caption_language, declared_language, parse_captions
from summarizer.cjk import joined
from summarizer.extractive import ExtractiveWriter
from summarizer.fetcher import FetchSettings, YtDlpFetcher, _pick_language
from summarizer.models import Segment, Transcript, Video
from summarizer.netguard import AddressPolicy
from summarizer.pipeline import Summarizer
from summarizer.text import tokens
from summarizer.transcriber import CaptionsOnlyTranscriber
from tests.support.mediaserver import FIXTURES, MediaServer

TALKS = {t["name"]: t for t in json.loads((FIXTURES / "languages.json").read_text(encoding="utf-8"))["talks"]}
TOLERANCE_S = 3.0

# (talk, question as people ask it, index of the sentence that answers it)
QUESTIONS = [
    ("ruches", "Combien de temps vit une ouvrière en été ?", 6),
    ("ruches", "Quelle quantité de miel donne une ruche par an ?", 9),
    ("ruches", "Pourquoi le miel de Paris est-il foncé ?", 10),
    ("ruches", "Comment les ruches sont-elles protégées contre le frelon ?", 14),
    ("ruches", "Combien d'abeilles compte une colonie ?", 5),
    ("windpark", "Wie hoch sind die Windräder?", 4),
    ("windpark", "Was passiert mit den Rotorblättern bei einem Sturm?", 6),
    ("windpark", "Wie viele Haushalte bekommen Strom von den Anlagen?", 7),
    ("windpark", "Wie viel Geld hat jede Familie eingezahlt?", 2),
    ("windpark", "Warum schalten sich die Anlagen im Sommer ab?", 12),
    ("chocolate", "¿Qué se podía comprar con las semillas de cacao?", 4),
    ("chocolate", "¿Quién inventó la prensa de cacao?", 8),
    ("chocolate", "¿Dónde se cultiva hoy la mayoría del cacao?", 10),
    ("chocolate", "¿Con qué se mezclaba el chocolate en España?", 6),
    ("chocolate", "¿Cuánto ganan los agricultores?", 12),
    ("ocha", "お茶はいつ日本に来ましたか？", 2),
    ("ocha", "静岡県では全国のお茶の何割を作っていますか？", 6),
    ("ocha", "新茶はいつ摘みますか？", 7),
    ("ocha", "煎茶には何度のお湯がいいですか？", 12),
    ("ocha", "お湯が熱すぎるとどうなりますか？", 13),
]

OFF_TOPIC = {
    "ruches": "Quel est le prix d'un appartement à Lyon ?",
    "windpark": "Wer hat die Fußballweltmeisterschaft gewonnen?",
    "chocolate": "¿Cuántos goles marcó el equipo en la final?",
    "ocha": "東京の人口は何人ですか？",
}


@pytest.fixture(scope="module")
def talks(media_server_session: MediaServer) -> Iterator[dict[str, tuple[Summarizer, Video, Transcript]]]:
    """Each talk fetched once through real yt-dlp (a probe costs about a second)."""
    fetcher = YtDlpFetcher(FetchSettings(policy=AddressPolicy(allow_private=True)))
    # Captions only: a foreign talk must never reach the English-only whisper model.
    summarizer = Summarizer(fetcher, CaptionsOnlyTranscriber(), ExtractiveWriter())
    fetched = {}
    for name, talk in TALKS.items():
        video, transcript = summarizer.transcript(media_server_session.url(talk["page"]))
        fetched[name] = (summarizer, video, transcript)
    yield fetched


@pytest.mark.parametrize(
    "name, language",
    [("ruches", "fr"), ("windpark", "de-DE"), ("chocolate", "es"), ("ocha", "ja")],
)
def test_the_transcript_carries_the_captions_language(talks, name, language):
    _, video, transcript = talks[name]
    assert transcript.source == "captions"
    assert transcript.language == language  # chocolate's <track> has no srclang: its header says "es"
    assert transcript.segments[0].start == TALKS[name]["sentences"][0]["start"]
    assert TALKS[name]["sentences"][-1]["text"].endswith(transcript.segments[-1].text)


@pytest.mark.parametrize("name", list(TALKS))
def test_a_digest_is_built_from_the_talk_itself(talks, name):
    summarizer, video, transcript = talks[name]
    digest = summarizer.digest(video, transcript)
    starts = {s["start"] for s in TALKS[name]["sentences"]} | {seg.start for seg in transcript.segments}
    assert digest.transcript.source == "captions"
    assert digest.sections and digest.highlights and digest.takeaways
    assert all(h.start_s in starts for h in digest.highlights)
    # Extractive: every highlight is the talk's own words, in the talk's own language.
    spoken = "".join(s["text"] for s in TALKS[name]["sentences"]).replace(" ", "")
    assert all(h.text.replace(" ", "") in spoken for h in digest.highlights)


def test_japanese_text_put_together_gets_no_spaces_between_its_characters(talks):
    """A space between two Japanese characters is a typo a reader sees: the digest and the answers
    join the talk's sentences as Japanese is written, without spaces."""
    summarizer, video, transcript = talks["ocha"]
    digest = summarizer.digest(video, transcript)
    answer = summarizer.answer(video, transcript, QUESTIONS[-1][1])
    texts = [digest.hook, answer.answer, *(s.summary for s in digest.sections)]
    assert answer.grounded and any("。" in t[:-1] for t in texts)  # several sentences were put together
    spaced = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff。、] +[\u3040-\u30ff\u4e00-\u9fff]")
    assert not [t for t in texts if spaced.search(t)]


@pytest.mark.parametrize(
    "parts, text",
    [
        (["お茶は", "中国から来ました。", "次は日本です。"], "お茶は中国から来ました。次は日本です。"),
        (["Les abeilles", "font du miel."], "Les abeilles font du miel."),
        (["벌은", "꿀을 만듭니다."], "벌은 꿀을 만듭니다."),  # Korean spaces its words
        (["静岡の", "", "Python"], "静岡の Python"),  # between scripts: a space; empty parts: nothing
    ],
)
def test_pieces_of_text_are_joined_as_their_script_is_written(parts, text):
    assert joined(parts) == text


def test_a_japanese_caption_cut_across_two_lines_is_one_sentence():
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nお茶は今から千二百年ほど前に\n中国から日本に来ました。\n"
    [segment] = parse_captions(vtt, "vtt")
    assert segment.text == "お茶は今から千二百年ほど前に中国から日本に来ました。"


@pytest.mark.parametrize("name, question, sentence", QUESTIONS)
def test_a_question_in_the_talks_language_is_answered_from_the_right_moment(talks, name, question, sentence):
    summarizer, video, transcript = talks[name]
    answer = summarizer.answer(video, transcript, question)
    expected = TALKS[name]["sentences"][sentence]["start"]
    assert answer.grounded, f"{question!r} was not answered"
    assert any(abs(c.start_s - expected) <= TOLERANCE_S for c in answer.citations), (
        f"{question!r} cited {[c.start_s for c in answer.citations]}, the answer starts at {expected}"
    )


@pytest.mark.parametrize("name", list(OFF_TOPIC))
def test_a_question_the_talk_does_not_cover_is_refused(talks, name):
    summarizer, video, transcript = talks[name]
    answer = summarizer.answer(video, transcript, OFF_TOPIC[name])
    assert not answer.grounded and not answer.citations


# --- without the network: the language of a question meets the language of the talk -------------


@pytest.mark.parametrize(
    "language, question, sentence, unsaid",
    [
        ("fr", "Comment les ruches sont-elles protégées contre le frelon ?", 14, ""),
        ("fr", "Quelle quantité de miel donne une ruche par an ?", 9, "quantité"),
        ("de", "Wie hoch sind die Windräder?", 4, ""),
        ("de", "Was passiert mit den Rotorblättern bei einem Sturm?", 6, "passiert"),
        ("de", "Wie viele Haushalte bekommen Strom von den Anlagen?", 7, "bekommen"),
        ("de", "Wie viel Geld hat jede Familie eingezahlt?", 2, "Geld"),
    ],
)
def test_in_its_language_a_question_meets_its_answer_on_its_content_words(language, question, sentence, unsaid):
    """What the answers above need from tokens(): with the language, a question keeps only content
    words, and the answer says them all ("Windräder"/"Windrad", "protégées"/"protéger") but the one
    the question words its own way. Without it ("Windräder" unstemmed, "wie" a word) they fail."""
    talk = next(t for t in TALKS.values() if t["language"].startswith(language))
    asked = set(tokens(question, language))
    said = set(tokens(talk["sentences"][sentence]["text"], language))
    assert asked - said == set(tokens(unsaid, language))
    assert len(asked & said) >= 2
    # Read as English, the question's own function words and unstemmed forms stand unanswered.
    assert set(tokens(question)) - set(tokens(talk["sentences"][sentence]["text"])) > set(tokens(unsaid))


# --- choosing the track and naming its language -----------------------------------------------


@pytest.mark.parametrize(
    "tracks, expected",
    [
        ({"fr": []}, "fr"),  # a French talk's only captions are used, not refused for not being English
        ({"ja": []}, "ja"),
        ({"Español": []}, "Español"),  # a page's label where it gave no srclang
    ],
)
def test_a_talks_only_manual_track_is_chosen_whatever_its_language(tracks, expected):
    assert _pick_language(tracks, None, automatic=False) == expected


def segs(text: str) -> list[Segment]:
    return [Segment(start=0, end=1, text=text)]


@pytest.mark.parametrize(
    "key, declared, text, expected",
    [
        ("fr", None, "Bonjour", "fr"),
        ("fr-orig", None, "Bonjour", "fr"),  # YouTube's mark of the spoken language
        ("pt_BR", None, "Olá", "pt-BR"),
        ("de-DE", "de", "Hallo", "de-DE"),  # the site's tag, region and all
        ("English", None, "Hello", "en"),  # a label, in English, names the language too
        ("Español", "es", "Hola", "es"),  # a label we cannot read: the file's own header
        ("und", "fr", "Bonjour", "fr"),
        ("Español", None, "Hola", None),  # nothing says: unknown, never a guess
        ("日本語", None, "お茶の話です", "ja"),  # kana say Japanese
        ("und", None, "꿀벌은 춤을 춥니다", "ko"),
        (None, None, "我们的蜜蜂", "zh"),
        ("x" * 5000, None, "text", None),
    ],
)
def test_the_track_language_is_a_tag_or_none(key, declared, text, expected):
    assert caption_language(key, declared, segs(text)) == expected


@pytest.mark.parametrize(
    "data, expected",
    [
        ("WEBVTT\nKind: captions\nLanguage: es\n\n00:01.000 --> 00:02.000\nHola\n", "es"),
        ("\ufeffWEBVTT\r\nLanguage: pt-BR\r\n\r\n00:01.000 --> 00:02.000\r\nOlá\r\n", "pt-BR"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nLanguage: fr\n", None),  # a cue's text, not the header
        ("1\n00:00:01,000 --> 00:00:02,000\nLanguage: fr\n", None),  # SRT has no header
        ("WEBVTT\nLanguage:\n\n", None),
        ("", None),
    ],
)
def test_a_vtt_header_may_declare_the_language(data, expected):
    assert declared_language(data) == expected
