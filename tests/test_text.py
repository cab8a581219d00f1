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


# --- words in other languages and scripts -------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("l'abeille", "abeille"),
        ("L’abeille", "abeilles"),  # typographic apostrophe, plural
        ("d'abeilles", "abeille"),
        ("qu'elles", ""),  # "that they": nothing to match on
        ("jusqu'à l'été", ""),
    ],
)
def test_french_elision_leaves_the_word(a, b):
    assert tokens(a, "fr") == tokens(b, "fr")


def test_french_keeps_words_that_merely_contain_an_apostrophe():
    assert len(tokens("aujourd'hui", "fr")) == 1 and tokens("aujourd'hui", "fr") != tokens("hui", "fr")


@pytest.mark.parametrize(
    "a, b",
    [
        ("Honigbienen", "Honigbiene"),
        ("Windräder", "Windrad"),
        ("Rotorblättern", "Rotorblatt"),
        ("Straße", "STRASSE"),  # casefolded: ß is ss
        ("Bienenvölker", "Bienenvolk"),
    ],
)
def test_german_compounds_and_plurals_share_a_stem(a, b):
    assert tokens(a, "de") == tokens(b, "de") != []


@pytest.mark.parametrize(
    "a, b",
    [
        ("canción", "canciones"),
        ("lámpara", "lámparas"),
        ("inventó", "inventar"),
        ("Ñandú", "ñandú"),
    ],
)
def test_spanish_accented_words_are_words_and_share_stems(a, b):
    assert tokens(a, "es") == tokens(b, "es") != []


def test_spanish_question_words_are_stopwords_with_or_without_their_marks():
    assert tokens("¿Cuántos años tiene el faro?", "es") == tokens("años faro", "es")


@pytest.mark.parametrize("tag", ["fr", "fr-FR", "FR", "fr_CA", "fra", "fr-orig", "French"])
def test_region_variants_and_other_spellings_of_a_language_are_that_language(tag):
    assert tokens("Les abeilles vivent dans la ruche", tag) == tokens("abeille vivent ruche", "fr")


@pytest.mark.parametrize("tag", ["", "und", "not a tag!", "x" * 10_000, "12", "en-US", "en", "eng"])
def test_unknown_and_english_tags_keep_todays_english_words(tag):
    assert tokens("It's the bees' knees in 1822", tag) == tokens("It's the bees' knees in 1822")


def test_a_language_without_a_stemmer_gets_plain_words_not_english_stems():
    assert tokens("nyuki wanaishi kwenye mizinga", "sw") == ["nyuki", "wanaishi", "kwenye", "mizinga"]


def test_the_same_text_in_two_languages_is_cached_apart():
    assert tokens("Les ruches", "fr") != tokens("Les ruches", None)  # "les" is French, not English


def test_japanese_is_cut_into_kanji_and_katakana_ngrams_without_particles():
    got = tokens("ミツバチの女王は卵を産みます。", "ja")
    assert {"ミツ", "ツバ", "バチ", "女王", "卵", "産"} <= set(got)
    assert not any(t in got for t in ("の", "は", "を", "みます", "ます"))
    # A verb's kanji stays when its ending changes; "何" asks rather than says.
    assert set(tokens("いつ産みましたか", "ja")) == set(tokens("産む", "ja")) == {"産"}
    assert tokens("何個", "ja") == tokens("個", "ja") == ["個"]


def test_cjk_is_recognised_by_its_script_whatever_the_language_says():
    assert tokens("東京タワーは高い", None) == tokens("東京タワーは高い", "ja")
    assert {"蜜蜂", "花园"} <= set(tokens("我们的蜜蜂在花园里", "zh"))
    assert "我们" not in tokens("我们的蜜蜂", "zh")  # a Chinese stopword
    assert {"꿀벌"} <= set(tokens("꿀벌은", "ko")) & set(tokens("꿀벌이", "ko"))


def test_mixed_scripts_each_get_their_own_words():
    got = tokens("Das iPhone 15 kostet 999€ in 東京, Pythonの本", "de")
    assert {"iphon", "15", "999", "東京", "python", "本"} <= set(got)
    assert not any("東" in t and len(t) > 2 for t in got), "Latin and CJK are never glued into one token"


def test_invisible_characters_do_not_split_or_hide_words():
    plain = tokens("abeille reine", "fr")
    assert tokens("abei\u200blle re\u200dine", "fr") == plain  # zero-width space and joiner
    assert tokens("\u200fabeille\u200e \u202ereine\u202c", "fr") == plain  # direction marks
    assert tokens("abe\u00adille reine\ufeff", "fr") == plain  # soft hyphen, BOM
    assert tokens("abe\u0301ille", "fr") == tokens("abéille", "fr")  # decomposed and composed accents agree


def test_emoji_and_symbols_are_not_words():
    assert tokens("🐝🍯 ❤️ 👩\u200d💻 ★★★", None) == []
    assert tokens("🐝 honey 🍯", None) == tokens("honey")


def test_hindi_words_keep_their_vowel_signs():
    # Devanagari vowel signs are combining marks, not word breaks: one word, not four pieces.
    assert len(tokens("हिन्दी", "hi")) == 1


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 1_000_000,  # one 1 MB "word"
        "é" * 1_000_000,
        "\u200d".join(["ab"] * 300_000),  # words glued by zero-width joiners
        "e" + "\u0301" * 1_000_000,  # a million combining accents on one letter
        "\u202e" + "word " * 100_000,  # right-to-left override, then a lot of words
        "🐝" * 300_000,
        "l'" * 300_000,
    ],
)
def test_hostile_text_is_tokenised_quickly(hostile):
    import time

    started = time.perf_counter()
    got = tokens(hostile + " unique1", "fr")
    # Linear: a second on a busy two-core machine at worst; a quadratic path would take minutes.
    assert time.perf_counter() - started < 3.0
    assert all(len(t) <= 64 for t in got) and "unique1" in got


def test_a_long_cjk_run_gives_ngrams_in_linear_time():
    import time

    started = time.perf_counter()
    got = tokens("日本" * 100_000 + "x", "ja")
    assert time.perf_counter() - started < 3.0
    assert len(got) == 2 * 200_000 - 1


# --- sentences in other languages ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("Das ist gut. Über alles!", ["Das ist gut.", "Über alles!"]),
        ("Voilà. Écoutez bien.", ["Voilà.", "Écoutez bien."]),
        ("Es un ave. Ñandú es su nombre.", ["Es un ave.", "Ñandú es su nombre."]),
        ("¿Por qué? ¡Porque sí! Bueno.", ["¿Por qué?", "¡Porque sí!", "Bueno."]),
        ("«Oui», dit-il. «Non.» Puis il part.", ["«Oui», dit-il.", "«Non.»", "Puis il part."]),
        ("Это пчела. Она летает.", ["Это пчела.", "Она летает."]),
        ("ミツバチは踊ります。女王は一匹です！次は？", ["ミツバチは踊ります。", "女王は一匹です！", "次は？"]),
        ("「はい。」と答えた。次です。", ["「はい。」と答えた。", "次です。"]),
        ("蜜蜂会跳舞。 它们很忙。", ["蜜蜂会跳舞。", "它们很忙。"]),
        ("e.g. the 3.5 rule. 42 bees.", ["e.g. the 3.5 rule.", "42 bees."]),
    ],
)
def test_sentences_end_in_any_language(text, sentences):
    assert [u.text for u in units([seg(0.0, 5.0, text)])] == sentences


def test_japanese_sentences_anchor_to_the_cue_they_start_in():
    segments = [seg(0.0, 2.0, "お茶は中国から"), seg(2.0, 4.0, "伝わりました。最初は"), seg(4.0, 6.0, "薬でした。")]
    assert [(u.start, u.text) for u in units(segments)] == [
        (0.0, "お茶は中国から伝わりました。"),  # Japanese is written without spaces
        (2.0, "最初は薬でした。"),
    ]


def test_a_megabyte_of_full_stops_splits_quickly():
    import time

    started = time.perf_counter()
    us = units([seg(0.0, 5.0, "。" * 500_000 + "終わり。" + ". A" * 20_000)])
    assert time.perf_counter() - started < 3.0
    assert 20_000 <= len(us) <= 20_003 and "終わり。" in [u.text for u in us[:3]]


@pytest.mark.parametrize(
    "text, words",
    [
        ("Bees live in hives.", 4),
        ("Ça va très bien, merci.", 5),
        ("꿀벌은 춤을 춥니다", 3),  # Korean spaces its words
        ("日本茶についてお話しします。", 7),  # 13 characters: about 7 words' worth of reading
        ("Pythonの本を読んだ。", 4),
        ("日本 、 茶", 2),  # punctuation between runs is not a word
    ],
)
def test_words_are_counted_in_scripts_without_spaces_too(text, words):
    assert word_count(text) == words


def test_a_short_japanese_talk_is_long_enough_to_summarise():
    # One caption line is one "word" to str.split(): eleven lines of Japanese read like a hundred words.
    assert sum(word_count("静岡県だけで、全国の茶葉の約四割が生産されています。") for _ in range(11)) > 100


@pytest.mark.parametrize(
    "language, typed, captioned",
    [
        ("es", "cuantos anos tiene el quimico de mexico", "¿Cuántos años tiene el químico de México?"),
        ("fr", "ou est l'ecole", "Où est l'école ?"),
        ("fr", "debut des kilometres", "début des kilomètres"),
        ("pt", "nao e facil", "não é fácil"),
    ],
)
def test_questions_typed_without_accents_meet_the_accented_transcript(language, typed, captioned):
    assert tokens(typed, language) == tokens(captioned, language) != []


def test_accents_are_folded_after_stemming_so_inflections_still_meet():
    # Stemmed without their accents, "protégées" and "nació" would lose "protéger" and "nacer".
    assert tokens("protégées", "fr") == tokens("protéger", "fr")
    assert tokens("nació", "es") == tokens("nacer", "es")
    # Only the languages whose speakers drop accents in chat: in Turkish ş and s are two letters.
    assert tokens("şehir", "tr") != tokens("sehir", "tr")
