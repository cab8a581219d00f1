"""Chinese, Japanese and Korean text as terms to match: these scripts do not space their words
(Korean spaces them but glues particles on), so words are approximated by character n-grams,
the classic baseline of CJK search (Lucene's CJKBigramFilter), and no dictionary is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .languages import JAPANESE_QUESTION_KANJI

# Scripts written without spaces between words, matched by character n-grams instead.
_HAN = "\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KATAKANA = "\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"  # with the long-vowel mark, not the middle dot
_HIRAGANA = "\u3041-\u309f"
_HANGUL = "\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff"
CJK_RUN = re.compile(f"[{_HAN}{_KATAKANA}{_HIRAGANA}{_HANGUL}]+")
_SCRIPT_RUN = re.compile(
    f"(?P<han>[{_HAN}]+)|(?P<katakana>[{_KATAKANA}]+)|(?P<hiragana>[{_HIRAGANA}]+)|(?P<hangul>[{_HANGUL}]+)"
)
# Korean spaces its words; Chinese and Japanese do not.
SPACELESS_RUN = re.compile(f"[{_HAN}{_KATAKANA}{_HIRAGANA}]+")
_KANA = re.compile(f"[{_KATAKANA}{_HIRAGANA}]")
# Chinese and Japanese characters with their punctuation (。、「」 and the full-width forms).
_SPACELESS_CHAR = re.compile(f"[{_HAN}{_KATAKANA}{_HIRAGANA}\u3000-\u303f\uff00-\uffef]")
_HANGUL_CHAR = re.compile(f"[{_HANGUL}]")


def separator(left: str, right: str) -> str:
    """What goes between two pieces of text put together: a space, as Latin, Cyrillic or Korean text
    has, but nothing where both sides are Chinese or Japanese, which are written without spaces
    ("お茶は" and "中国から来ました。" are one sentence, not two words)."""
    spaceless = _SPACELESS_CHAR.match(left[-1:]) and _SPACELESS_CHAR.match(right[:1])
    return "" if spaceless else " "


def joined(parts: Iterable[str]) -> str:
    """Sentences or caption lines as one text, each `separator` apart (empty parts skipped)."""
    return spliced(parts)[0]


def spliced(parts: Iterable[str]) -> tuple[str, list[int]]:
    """`joined(parts)`, and where in it each part begins (an empty part: where the next would)."""
    pieces: list[str] = []
    offsets: list[int] = []
    at, last = 0, ""
    for part in parts:
        if part and last:
            pieces.append(separator(last, part))
            at += len(pieces[-1])
        offsets.append(at)
        if part:
            pieces.append(part)
            at += len(part)
            last = part
    return "".join(pieces), offsets


def cjk_terms(run: str, code: str | None, stops: frozenset[str]) -> list[str]:
    """Terms of a run of CJK text, which has no spaces between words.

    Kanji/hanzi give single characters and bigrams (a word is one or two characters more often
    than not); katakana and hangul give bigrams ("ミツバチ": ミツ ツバ バチ, so a longer compound
    still shares most of them); hiragana is skipped: it writes Japanese particles and verb
    endings, so "産みます" and "産む" meet on 産.
    """
    out: list[str] = []
    for match in _SCRIPT_RUN.finditer(run):
        piece, script = match.group(), match.lastgroup
        if script == "hiragana" or piece in stops:
            continue
        if script == "han":
            for part in _cut(piece, JAPANESE_QUESTION_KANJI if code in (None, "ja") else ""):
                out += [c for c in part if c not in stops]
                out += [g for g in _bigrams(part) if g not in stops]
        else:
            out += [g for g in (_bigrams(piece) or [piece]) if g not in stops]
    return out


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _cut(run: str, at: str) -> list[str]:
    return [p for p in re.split(f"[{at}]", run) if p] if at else [run]


def script_language(text: str) -> str | None:
    """The language a text's script gives away (kana: "ja", hangul: "ko", hanzi alone: "zh"), else None."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL_CHAR.search(text):
        return "ko"
    return "zh" if re.search(f"[{_HAN}]", text) else None
