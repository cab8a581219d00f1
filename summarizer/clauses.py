"""Clauses of spoken English sentences: opening phrase, subject, verb group and the rest.

The offline writer asks questions about a talk and titles its sections from the talk's own noun
phrases, with no model and no tagger: a few closed word classes (determiners, prepositions,
auxiliaries) and verb endings find the verb of plain declarative sentences, which is what people
mostly say in talks. Anything it cannot read with confidence comes back as None, so callers leave
the question or the title out rather than write a wrong one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .english import (
    BE,
    CONJUNCTIONS,
    DETERMINERS,
    DO,
    DOERS_VERBS,
    FUNCTION,
    HAVE,
    INNER_ADVERBS,
    IRREGULAR,
    MODALS,
    OPENERS,
    PARTICIPLES,
    PREPOSITIONS,
    PRONOUNS,
    RELATIVES,
    is_number,
    looks_past,
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:[.,]\d+)*%?|[,;:]")


@dataclass(frozen=True)
class Clause:
    """`opener` (words before the first comma, when they are an adverbial), `subject`, the verb
    group (`aux` such as "was"/"can", `verb` the main verb or "" for a copula), and `rest`."""

    opener: tuple[str, ...]
    subject: tuple[str, ...]
    aux: str
    verb: str
    rest: tuple[str, ...]

    @property
    def kind(self) -> str:
        """copula, passive, perfect, modal, possession, past or present."""
        if self.aux in BE:
            return "passive" if self.verb else "copula"
        if self.aux in HAVE:
            return "perfect" if self.verb else "possession"
        if self.aux:
            return "modal"
        return "past" if self.verb in IRREGULAR or self.verb.endswith("ed") else "present"


def words(text: str) -> list[str]:
    """Words, numbers and the commas between them; other punctuation is dropped."""
    return _TOKEN.findall(text)


def parse(sentence: str) -> Clause | None:
    """The clause of a plain declarative sentence, or None when it is anything else."""
    text = sentence.strip()
    if not text or text.endswith("?") or len(text) > 400:
        return None
    toks = words(text)
    opener: list[str] = []
    if "," in toks and toks[0].lower() in OPENERS:
        cut = toks.index(",")
        if cut <= 6:
            opener, toks = toks[:cut], toks[cut + 1 :]
    if not toks or not toks[0][0].isalpha():
        return None
    for i in range(1, min(len(toks), 9)):
        low = toks[i].lower()
        if toks[i] == ",":
            return None
        if low in INNER_ADVERBS:
            continue
        try:
            group = _verb_group(toks, i)
        except _Unreadable:
            return None
        if group is None:
            continue
        aux, verb, after = group
        subject = tuple(t for t in toks[:i] if t.lower() not in INNER_ADVERBS)
        if not _noun_phrase_like(subject):
            return None
        return Clause(tuple(opener), subject, aux, verb, tuple(toks[after:]))
    return None


def _noun_phrase_like(subject: tuple[str, ...]) -> bool:
    """A lone pronoun, or words that can make a noun phrase ("roughly forty percent of payments")."""
    low = [t.lower() for t in subject]
    if len(low) == 1 and low[0] in PRONOUNS:
        return True
    if not any(t not in FUNCTION and not is_number(t) for t in low) or len(low) > 7:
        return False
    banned = (PREPOSITIONS - {"of"}) | (CONJUNCTIONS - {"and"}) | RELATIVES | PRONOUNS | MODALS | HAVE | DO
    return not any(t in banned or t in BE or t in IRREGULAR or "'" in t or t == "," for t in low)


def _verb_group(toks: list[str], i: int) -> tuple[str, str, int] | None:
    """(aux, main verb, index after the group) when a verb group starts at `i`; raises _Unreadable
    when an auxiliary starts one whose shape this module does not know ("can be seen")."""
    low = toks[i].lower()
    nxt = toks[i + 1].lower() if i + 1 < len(toks) else ""
    prev = toks[i - 1].lower()
    if prev in DETERMINERS or prev in PREPOSITIONS or is_number(low):
        return None
    if low in BE or low in HAVE or low in MODALS or low in DO:
        j = i + 1
        while j < len(toks) and toks[j].lower() in INNER_ADVERBS | {"not"}:
            j += 1
        main = toks[j].lower() if j < len(toks) else ""
        if low in BE or low in HAVE:
            if main in IRREGULAR or main in PARTICIPLES or looks_past(main):
                return low, main, j + 1
            return low, "", i + 1
        if low in DO and (main in DETERMINERS or (main and is_number(main))):
            return "", low, i + 1  # "bees do a little dance": do is the verb itself
        if main and main not in FUNCTION and main.isalpha() and main.islower():
            return low, main, j + 1
        raise _Unreadable
    if not toks[i].islower() or not low.isalpha() or low in FUNCTION:
        return None
    if low in IRREGULAR or (looks_past(low) and (nxt in FUNCTION or not nxt.isalpha() or low in DOERS_VERBS)):
        return "", low, i + 1  # not "filtered water": an -ed word before a bare noun describes it
    # A present-tense verb: a content word followed by what opens its object…
    if nxt in DETERMINERS or (nxt and is_number(nxt)):
        return "", low, i + 1
    # …or a singular subject's verb: "each worker lives for…"
    if i >= 2 and toks[0].lower() in ("a", "an", "each", "every") and low.endswith("s") and nxt in FUNCTION:
        return "", low, i + 1
    return None


class _Unreadable(Exception):
    pass


def noun_phrase(toks: tuple[str, ...], start: int = 0) -> tuple[str, ...]:
    """The noun phrase that opens `toks[start:]`: up to a preposition, conjunction, relative, comma
    or verb; () when what opens there is not a noun phrase ("of disk space", "what happened")."""
    if start >= len(toks) or toks[start].lower() in PREPOSITIONS | CONJUNCTIONS | RELATIVES | QUESTION_WORDS:
        return ()
    out: list[str] = []
    for i in range(start, len(toks)):
        t, low = toks[i], toks[i].lower()
        nxt = toks[i + 1].lower() if i + 1 < len(toks) else ""
        if t in (",", ";", ":") or (out and (low in PREPOSITIONS or low in CONJUNCTIONS or low in RELATIVES)):
            break
        if low in BE or low in HAVE or low in MODALS or low in DO or low in INNER_ADVERBS or low == "not":
            break
        if out and low in DETERMINERS and out[-1].lower() not in DETERMINERS:
            break  # "lunch time | the pool": a second phrase begins
        if out and out[-1].lower() not in DETERMINERS and _verb_after_noun(low, nxt):
            break  # "cold storage takes up…", "what happened": the verb ends the phrase
        out.append(t)
        if len(out) > 6:
            return ()
    if len(out) == 1 and (out[0].lower() in IRREGULAR or looks_past(out[0].lower())):
        return ()  # "got paged": a verb on its own
    return tuple(out)


QUESTION_WORDS = frozenset("what who whom whose which why how where when".split())


def _verb_after_noun(low: str, nxt: str) -> bool:
    if low in IRREGULAR or looks_past(low):
        return True
    return low.endswith("s") and not low.endswith("ss") and (nxt in PREPOSITIONS - {"of"} or nxt in DETERMINERS)
