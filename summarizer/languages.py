"""Language tags as sites and captions give them, and what matching words needs per language.

A caption track says its language as "fr", "fr-FR", "pt_BR", "fr-orig", "fra" or, when a page
gives no `srclang`, as a label such as "Français". Retrieval only needs the primary language
("fr"), the Snowball stemmer for it, and the words too common in it to say what a passage is about.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import bm25s.stopwords as bm25s_stopwords

# ISO 639-1 code -> Snowball algorithm name (PyStemmer). English is absent: text.stem is English,
# and stems an unknown language's words too, with recap's own English stop list.
SNOWBALL = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "fa": "persian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}

# ISO 639-2/3 codes and English names that sites use instead of the two-letter code.
_ALIASES = {
    "eng": "en",
    "english": "en",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "nld": "nl",
    "dut": "nl",
    "rus": "ru",
    "jpn": "ja",
    "japanese": "ja",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "yue": "zh",
    "chinese": "zh",
    "kor": "ko",
    "korean": "ko",
    **{name: code for code, name in SNOWBALL.items() if code not in ("nb", "nn")},
}
# "undetermined", "no linguistic content", "multiple", "missing": tags that name no language.
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis"})
_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")

# Elided articles and pronouns ("l'abeille", "dell'alveare", "qu'elle"): the word is what follows.
ELISIONS = {
    "fr": frozenset("l d j m n s t c qu jusqu lorsqu puisqu quoiqu".split()),
    "it": frozenset("l d c s m t v n un gl dell all nell sull dall coll quest quell bell sant".split()),
    "ca": frozenset("l d s m t n".split()),
}

# Question words and spoken fillers the Snowball lists lack: a question's "combien" or "wann" is
# how it asks, not what about, and would count against every passage that answers it.
_EXTRA_STOPWORDS = {
    "fr": """ça cela ceci cet cette celui celle ceux celles comment pourquoi combien quand où quel quelle
        quels quelles lequel laquelle lesquels euh ben bah voilà alors donc aussi très plus moins
        tout tous toute toutes bien comme si fait faire peut peuvent ici là y a ont quoi chose choses
        vraiment beaucoup dit parle parlez elles contre sans sous chez entre vers depuis pendant dont""",
    "de": """wann warum wieso weshalb wer wem wen wessen woher wohin womit wofür wovon worüber wieviel
        wieviele viele äh ähm halt eben ja mal schon gibt gab also genau eigentlich ganz sagt spricht""",
    "es": """cómo cuándo cuánto cuánta cuántos cuántas dónde adónde quién quiénes cuál cuáles eh pues bueno
        entonces así aquí ahí allí vez hace dice habla cosa cosas""",
    "it": """come quando quanto quanta quanti quante dove chi quale quali perché cosa ecco allora dunque così
        molto molti""",
    "pt": """como quando quanto quanta quantos quantas onde quem qual quais porque porquê então assim aqui
        muito coisa""",
    "nl": """wanneer waarom hoeveel waar wie welke welk hoe eh nou dus gewoon echt""",
}

# Languages whose accents people leave out when they type a question in chat ("ou se trouve",
# "cuantos anos"): their stems and stop words are compared without accents. A stem is taken from
# the accented word first, so "protégées"/"protéger" and "nació"/"nacer" still meet.
ACCENT_FOLDING = frozenset({"fr", "es", "pt", "it", "ca"})
_ACCENTS = re.compile("[\u0300-\u036f]+")

# Japanese is matched on kanji and katakana (text.py drops hiragana runs, which carry particles and
# endings); these kanji ask rather than say ("何年", "何人": how many years, how many people).
JAPANESE_QUESTION_KANJI = "何"


def language_code(tag: object) -> str | None:
    """The primary language of a tag ("fr-FR" -> "fr", "fra" -> "fr"), None if it names none."""
    if not isinstance(tag, str) or not tag or len(tag) > 35:
        return None
    return _code(tag)


@cache
def _code(tag: str) -> str | None:
    tag = tag.strip().casefold().replace("_", "-").removesuffix("-orig")
    if tag in _ALIASES:
        return _ALIASES[tag]
    if not _TAG.fullmatch(tag):
        return None
    primary = tag.split("-")[0]
    primary = _ALIASES.get(primary, primary)
    return None if primary in _NO_LANGUAGE else primary


def snowball_name(code: str | None) -> str | None:
    """The PyStemmer algorithm for a language code, or None (English, CJK, unknown)."""
    return SNOWBALL.get(code or "")


_BM25S_LISTS = {
    "fr": "STOPWORDS_FRENCH",
    "de": "STOPWORDS_GERMAN",
    "es": "STOPWORDS_SPANISH",
    "it": "STOPWORDS_ITALIAN",
    "pt": "STOPWORDS_PORTUGUESE",
    "nl": "STOPWORDS_DUTCH",
    "ru": "STOPWORDS_RUSSIAN",
    "da": "STOPWORDS_DANISH",
    "no": "STOPWORDS_NORWEGIAN",
    "nb": "STOPWORDS_NORWEGIAN",
    "nn": "STOPWORDS_NORWEGIAN",
    "sv": "STOPWORDS_SWEDISH",
    "tr": "STOPWORDS_TURKISH",
    "zh": "STOPWORDS_CHINESE",
    "ko": "STOPWORDS_KOREAN",
}


@cache
def stopwords(code: str) -> frozenset[str]:
    """Surface forms (NFKC, casefolded, as text.tokens sees them; without accents where the language
    is in ACCENT_FOLDING) too common in `code` to match on."""
    words = list(getattr(bm25s_stopwords, _BM25S_LISTS.get(code, ""), ()))
    words += _EXTRA_STOPWORDS.get(code, "").split()
    forms = [unicodedata.normalize("NFKC", w).casefold() for w in words]
    return frozenset(fold_accents(w) for w in forms) if code in ACCENT_FOLDING else frozenset(forms)


def fold_accents(word: str) -> str:
    """`word` without its accents ("élevé" -> "eleve", "año" -> "ano")."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", word)))
