"""Questions a curious listener would ask about a sentence of a talk, which that sentence answers.

Rule-based and deterministic: the sentence's clause (clauses.parse) is turned around the way people
ask: a year becomes "When…", a duration "How long…", "because" or a purpose "Why…", a count
"How many…", the subject "Who…"/"What…". A question that would lean on a pronoun the reader cannot
resolve ("What can confuse them?") or that the rules cannot build cleanly is not asked at all:
`ask` returns fewer questions, never a filled-in template. English only; for other languages the
writer keeps to the questions the speaker asks and answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clauses import Clause, noun_phrase, parse, words
from .english import (
    APPROX,
    CONJUNCTIONS,
    DETERMINERS,
    IRREGULAR,
    MEASURES,
    PEOPLE,
    PERSON_VERBS,
    PREPOSITIONS,
    RELATIVES,
    TIME_UNITS,
    Names,
    base_of_past,
    base_of_present,
    duration_at,
    is_number,
    is_plural,
    looks_past,
    third_person,
    time_phrase,
)

# How good a question of each form usually is: the specific ones read like a person asking.
FORM_SCORE = {"asked": 3.0, "when": 2.2, "why": 2.2, "how": 2.0, "where": 2.0, "who": 1.8, "what": 1.4}
MAX_WORDS = 14
NEGATIONS = frozenset("not never no nothing nobody none neither nor cannot".split())
# Conjunctions that always end an object: what follows is a clause of its own.
CLAUSE_OPENERS = frozenset("because so while although though if unless whereas".split())
# A question holding one of these leans on something said before it, which its reader has not seen.
UNRESOLVED = frozenset("it its they them he she him her this these those that we us our you your i me my".split())
# Possessives that refer back to a clause's subject ("ships find their way").
POSSESSIVES = frozenset("their his her its".split())


@dataclass(frozen=True)
class Question:
    text: str
    form: str

    @property
    def score(self) -> float:
        return FORM_SCORE[self.form]


def ask(sentence: str, previous_subject: tuple[str, ...] = (), names: Names | None = None) -> list[Question]:
    """Questions `sentence` answers, best first; [] when none worth asking can be made.

    `previous_subject`: the subject of the sentence before, which an opening "It"/"They" refers to.
    `names`: the talk's proper nouns (see `proper_nouns`), which keep their capital mid-question.
    """
    c = parse(sentence)
    if c is None or any(w.lower() in NEGATIONS or w.lower().endswith("n't") for w in words(sentence)):
        return []  # a question that drops a "never" says the opposite of the talk
    names = names or Names()
    subject = c.subject
    if len(subject) == 1 and subject[0].lower() in ("it", "they") and previous_subject:
        subject = previous_subject
    elif any(w.lower() in UNRESOLVED for w in subject):
        subject = ()
    found: list[Question] = []
    for build in (_when, _how_long, _why, _where, _how_measure, _how_many, _who_what, _what_object):
        q = build(c, subject, names) if subject else None
        if q is not None and _readable(q.text):
            found.append(q)
    unique = {q.text.lower(): q for q in reversed(found)}
    return sorted(unique.values(), key=lambda q: -q.score)


def subject_of(sentence: str) -> tuple[str, ...]:
    """The sentence's subject when it is a noun phrase a later "It" can stand for, else ()."""
    c = parse(sentence)
    if c is None or any(w.lower() in UNRESOLVED for w in c.subject):
        return ()
    return c.subject


def _readable(text: str, addressed: bool = False) -> bool:
    """Short enough, and leaning on nothing the reader has not seen; `addressed`: "you" is the
    listener the question is put to, not someone said before."""
    unresolved = UNRESOLVED - {"you", "your"} if addressed else UNRESOLVED
    ws = re.findall(r"[A-Za-z']+|\d+", text)
    return 3 <= len(ws) <= MAX_WORDS and not any(w.lower() in unresolved for w in ws)


def _phrase(ws: tuple[str, ...], names: Names) -> str:
    """Words as they sit mid-question: a sentence's opening capital goes, a name's stays."""
    if not ws:
        return ""
    name = ws[0] in names or (len(ws) > 1 and ws[1][:1].isupper() and ws[0].lower() not in DETERMINERS)
    head = ws[0] if name or ws[0].isupper() and len(ws[0]) > 1 else ws[0].lower()
    return " ".join((head, *ws[1:])).replace(" ,", ",")


def _q(form: str, *parts: str) -> Question:
    text = " ".join(p for p in parts if p).strip()
    return Question(text[0].upper() + text[1:] + "?", form)


def _do(c: Clause, subject: tuple[str, ...]) -> tuple[str, str] | None:
    """do-support: ("did", "invent") for "invented", ("does", "live") for "lives"; None if unsure.
    After "I", "you", "we" or "they" a present verb is its base, whatever its ending ("you focus")."""
    if c.kind == "past":
        base = base_of_past(c.verb)
        return ("did", base) if base else None
    if c.kind == "present":
        personal = len(subject) == 1 and subject[0].lower() in ("i", "you", "we", "they")
        return ("does", base_of_present(c.verb)) if _third_person(c.verb) and not personal else ("do", c.verb)
    return None


def _object(rest: tuple[str, ...], max_words: int = 8) -> tuple[str, ...]:
    """What follows the verb, cut where a clause, a list or a second phrase of detail begins."""
    out: list[str] = []
    preps = 0
    content = False
    for i, w in enumerate(rest):
        low = w.lower()
        if w in (",", ";", ":") or low in RELATIVES or low in CLAUSE_OPENERS or (content and low in CONJUNCTIONS):
            break
        if low == "to" and content and i + 1 < len(rest) and rest[i + 1].islower() and rest[i + 1] not in DETERMINERS:
            break  # "to light the lamp": a purpose, not part of the object
        if low in PREPOSITIONS:
            preps += 1
            if content and preps > 1 or (content and low in ("without", "instead", "than")):
                break
        out.append(w)
        content = content or (low not in DETERMINERS and low not in PREPOSITIONS and not is_number(low))
        if len(out) >= max_words:
            return ()
    while out and (out[-1].lower() in PREPOSITIONS or out[-1].lower() in DETERMINERS):
        out.pop()
    return tuple(out) if content else ()


def _third_person(verb: str) -> bool:
    return verb.endswith("s") and not verb.endswith("ss")


def _verb_phrase(c: Clause) -> str:
    """The verb group as it reads after 'Who'/'What' (singular)."""
    if c.kind == "present":
        return c.verb if _third_person(c.verb) else third_person(c.verb)
    aux = {"are": "is", "were": "was", "have": "has"}.get(c.aux, c.aux)
    return " ".join(p for p in (aux, c.verb) if p)


def _is_person(subject: tuple[str, ...], names: Names) -> bool:
    return subject[-1].lower() in PEOPLE or (len(subject) >= 2 and all(w in names for w in subject))


def _opener_tail(c: Clause, names: Names) -> str:
    """An opening phrase of place or time moved to the end: 'every night', 'in summer'."""
    if not c.opener or any(is_number(w) for w in c.opener) or len(c.opener) > 4:
        return ""
    low = [w.lower() for w in c.opener]
    if low[0] in ("in", "at", "every", "during", "today", "later", "much"):
        return _phrase(c.opener, names)
    return ""


def _when(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    in_opener = time_phrase(c.opener) is not None
    span = time_phrase(c.rest)
    if not in_opener and span is None:
        return None
    rest = c.rest[: span[0]] if span else c.rest
    if c.kind == "passive":
        return _q("when", "when", c.aux, _phrase(subject, names), c.verb, " ".join(_object(rest)))
    if c.kind != "past":
        return None
    obj = noun_phrase(rest)
    participle = IRREGULAR[c.verb][1] if c.verb in IRREGULAR else c.verb
    if obj and obj[0].lower() in DETERMINERS and not any(is_number(w) for w in obj):
        return _q("when", "when", "were" if is_plural(obj) else "was", _phrase(obj, names), participle)
    do = _do(c, subject)
    tail = _object(rest)
    if do and tail:
        return _q("when", "when", do[0], _phrase(subject, names), do[1], " ".join(tail))
    return None


def _how_long(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    at = duration_at(c.rest)
    if at is None:
        return None
    before = " ".join(_object(c.rest[:at])) if at else ""
    tail = _opener_tail(c, names)
    if c.kind in ("perfect", "passive", "modal"):
        return _q("how", "how long", c.aux, _phrase(subject, names), c.verb, before, tail)
    do = _do(c, subject)
    return _q("how", "how long", do[0], _phrase(subject, names), do[1], before, tail) if do else None


def _why(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    low = [w.lower() for w in c.rest]
    if "because" in low:
        cut = low.index("because")
    else:
        to = [
            i for i, w in enumerate(low) if w == "to" and i > 0 and i + 1 < len(low) and low[i + 1] not in DETERMINERS
        ]
        cut = to[0] if to and c.kind not in ("copula", "possession") else -1
        if cut > 0 and (is_number(low[cut + 1]) or low[cut + 1] in PREPOSITIONS or not c.rest[cut + 1].islower()):
            cut = -1
    if cut < 0 or (cut == 0 and c.kind not in ("past", "present")):
        return None
    obj = " ".join(_object(c.rest[:cut]))
    if not obj and (c.kind not in ("past", "present") or cut > 0 and c.rest[cut - 1] != ","):
        return None  # "Why did the bridge collapse?" needs no object; other forms do
    tail = _opener_tail(c, names)
    if c.kind in ("copula", "passive", "perfect", "modal"):
        return _q("why", "why", c.aux, _phrase(subject, names), c.verb, obj, tail)
    do = _do(c, subject)
    return _q("why", "why", do[0], _phrase(subject, names), do[1], obj, tail) if do else None


def _where(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    if (
        c.kind != "copula"
        or len(c.rest) < 2
        or c.rest[0].lower() not in ("in", "at", "near")
        or not c.rest[1][:1].isupper()
    ):
        return None
    return _q("where", "where", c.aux, _phrase(subject, names))


def _how_measure(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    if c.kind != "copula":
        return None
    low = [w.lower() for w in c.rest]
    i = 0
    while i < len(low) and low[i] in APPROX:
        i += 1
    if i >= len(low) or not is_number(low[i]):
        return None
    while i < len(low) and is_number(low[i]):
        i += 1
    if i + 1 < len(low) and low[i + 1] in MEASURES:
        return _q("how", "how", low[i + 1], c.aux, _phrase(subject, names))
    return None


def _how_many(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    low = [w.lower() for w in c.rest]
    if not low or not is_number(low[0]) or c.kind in ("copula", "possession", "passive"):
        return None
    i = 0
    while i < len(low) and is_number(low[i]):
        i += 1
    noun = noun_phrase(c.rest, i)
    if not noun or len(noun) > 2 or noun[-1].lower() in TIME_UNITS | {"percent", "times"}:
        return None
    after = " ".join(_object(c.rest[i + len(noun) :])) if i + len(noun) < len(c.rest) else ""
    if c.kind in ("modal", "perfect"):
        return _q("how", "how many", " ".join(noun), c.aux, _phrase(subject, names), c.verb, after)
    do = _do(c, subject)
    return _q("how", "how many", " ".join(noun), do[0], _phrase(subject, names), do[1], after) if do else None


def _who_what(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    if c.kind == "copula" or c.kind == "possession" or c.subject[0].lower() in ("it", "they"):
        return None
    span = time_phrase(c.rest)  # when it happened is another question's answer
    obj = _object(c.rest[: span[0]] if span else c.rest)
    if not obj or any(w.lower() in POSSESSIVES for w in obj):
        # "Most ships find their way…" is not "What finds their way…?": "their" stood for the
        # subject the question takes away.
        return None
    who = _is_person(c.subject, names)
    if not who and names.maybe_name(c.subject[-1]):
        # "Langstroth invented…" names a person: things do not invent. "Frankfurt holds…" or
        # "Support answered…" could be a person, a place or a team: the rules cannot tell.
        if c.verb not in PERSON_VERBS:
            return None
        who = True
    return _q("who" if who else "what", "who" if who else "what", _verb_phrase(c), " ".join(obj))


def _what_object(c: Clause, subject: tuple[str, ...], names: Names) -> Question | None:
    """'What can beekeepers take…?', 'What have many old lighthouses become?'"""
    if not subject or c.kind not in ("modal", "perfect") or not c.rest or is_number(c.rest[0]):
        return None
    obj = noun_phrase(c.rest)
    if not obj or obj[0].lower() in PREPOSITIONS or obj[0].lower() == "and" or any(w[:1].isupper() for w in obj):
        return None
    if obj[0].lower() not in DETERMINERS and not is_plural(obj):
        return None  # "will take effect": a bare singular is an idiom more often than a thing
    left = c.rest[len(obj) :]
    left = left[: left.index(",")] if "," in left else left
    after = _object(left) if left else ()
    if after != left or (after and after[0].lower() not in PREPOSITIONS):
        after = ()  # only a whole phrase of detail, never one cut short ("see … from far")
    return _q("what", "what", c.aux, _phrase(subject, names), c.verb, " ".join(after), _opener_tail(c, names))


# "I want to show you how…", "let's walk through what…": a speaker announcing what the talk answers.
_ANNOUNCED = re.compile(
    r"\b(?:show(?:ing)? you|tell(?:ing)? you|explain(?:ing)?|talk(?:ing)? about|walk(?:ing)?(?: you)? through|"
    r"go(?:ing)? over|look(?:ing)? at|teach(?:ing)? you|learn|find out)\s+(how|why|what|where|when)\s+(.+)",
    re.IGNORECASE,
)
# The speaker's own words turned to the listener's: "how I keep my starter" -> "how do you keep your starter".
_TO_LISTENER = {"i": "you", "we": "you", "my": "your", "our": "your", "me": "you", "us": "you", "mine": "yours"}


def announced(sentence: str) -> str | None:
    """The question a speaker says the talk will answer, asked back: "Today I want to show you how I
    keep a sourdough starter alive." -> "How do you keep a sourdough starter alive?"; "Let's walk
    through what happened last Tuesday." -> "What happened last Tuesday?". None when the sentence
    announces nothing, or nothing the rules can turn into a clean question."""
    m = _ANNOUNCED.search(sentence)
    if m is None:
        return None
    wh, clause = m.group(1).lower(), m.group(2).strip().rstrip(".!?")
    ws = [_TO_LISTENER.get(w.lower(), w) for w in words(clause)]
    if not ws or any(w in (",", ";", ":") for w in ws):
        return None  # a second clause follows: where this one ends is a guess
    if wh == "what" and (looks_past(ws[0].lower()) or ws[0].lower() in ("happens", "goes", "went")):
        asked = ["what", *ws]  # "what happened last Tuesday": the question asks for the subject
    else:
        c = parse(" ".join(ws) + ".")
        if c is None or c.opener:
            return None
        if c.kind in ("copula", "passive", "perfect", "modal"):
            asked = [wh, c.aux, *c.subject, *([c.verb] if c.verb else []), *c.rest]
        else:
            do = _do(c, c.subject)
            if do is None:
                return None
            asked = [wh, do[0], *c.subject, do[1], *c.rest]
    text = " ".join(asked).replace(" ,", ",")
    return text[0].upper() + text[1:] + "?" if _readable(text, addressed=True) else None
