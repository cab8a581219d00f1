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

DETERMINERS = frozenset(
    "the a an this that these those my your his her its our their each every some many most much more less "
    "few several all both no any another".split()
)
PREPOSITIONS = frozenset(
    "in on at for with from to by of about into onto over under through during after before since until "
    "without within along across around between among against toward towards behind beyond near off up down "
    "upon like than instead via per out".split()
)
CONJUNCTIONS = frozenset("and or but so yet nor because although though while whereas if unless".split())
RELATIVES = frozenset("that which who whom whose where when".split())
PRONOUNS = frozenset("i you he she it we they me him us them this these those one something someone".split())
BE = {"is": "is", "are": "are", "was": "was", "were": "were"}
HAVE = frozenset({"has", "have", "had"})
DO = frozenset({"do", "does", "did"})
MODALS = frozenset("can could will would shall should may might must".split())
# Adverbs that sit between a subject and its verb ("keepers also wound up").
INNER_ADVERBS = frozenset(
    "also often usually still only just even never always already sometimes then now soon".split()
)
NUMBERS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion dozen dozens hundreds thousands millions".split()
)
# Past tense -> (base form, past participle) for the irregular verbs talks use most.
IRREGULAR = {
    "built": ("build", "built"),
    "made": ("make", "made"),
    "fell": ("fall", "fallen"),
    "became": ("become", "become"),
    "took": ("take", "taken"),
    "gave": ("give", "given"),
    "found": ("find", "found"),
    "grew": ("grow", "grown"),
    "began": ("begin", "begun"),
    "brought": ("bring", "brought"),
    "kept": ("keep", "kept"),
    "led": ("lead", "led"),
    "lost": ("lose", "lost"),
    "met": ("meet", "met"),
    "paid": ("pay", "paid"),
    "ran": ("run", "run"),
    "said": ("say", "said"),
    "saw": ("see", "seen"),
    "sold": ("sell", "sold"),
    "sent": ("send", "sent"),
    "spent": ("spend", "spent"),
    "stood": ("stand", "stood"),
    "taught": ("teach", "taught"),
    "thought": ("think", "thought"),
    "told": ("tell", "told"),
    "won": ("win", "won"),
    "wrote": ("write", "written"),
    "wound": ("wind", "wound"),
    "went": ("go", "gone"),
    "came": ("come", "come"),
    "knew": ("know", "known"),
    "held": ("hold", "held"),
    "drew": ("draw", "drawn"),
    "broke": ("break", "broken"),
    "chose": ("choose", "chosen"),
    "drove": ("drive", "driven"),
    "spoke": ("speak", "spoken"),
    "threw": ("throw", "thrown"),
    "shone": ("shine", "shone"),
    "felt": ("feel", "felt"),
    "heard": ("hear", "heard"),
    "meant": ("mean", "meant"),
    "rose": ("rise", "risen"),
    "did": ("do", "done"),
    "got": ("get", "got"),
    "understood": ("understand", "understood"),
}
# Past tenses that are verbs even before a bare noun ("Curie discovered radium").
DOERS_VERBS = frozenset("invented discovered founded designed created composed painted proposed named".split())
PARTICIPLES = frozenset(p for _, p in IRREGULAR.values()) | {"been", "done", "seen", "gone"}
# Words that open a sentence with a phrase about when, where or how ("Today, …", "In 1851, …").
OPENERS = PREPOSITIONS | frozenset("today now later much once then yesterday soon every eventually finally".split())
FUNCTION = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | RELATIVES | PRONOUNS | HAVE | DO | MODALS | set(BE)
FUNCTION |= INNER_ADVERBS | {"not", "be", "been", "being", "am", "there", "here", "very", "too", "as"}

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


def is_number(word: str) -> bool:
    return word[0].isdigit() or word.lower() in NUMBERS


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
            if main in IRREGULAR or main in PARTICIPLES or _looks_past(main):
                return low, main, j + 1
            return low, "", i + 1
        if low in DO and (main in DETERMINERS or (main and is_number(main))):
            return "", low, i + 1  # "bees do a little dance": do is the verb itself
        if main and main not in FUNCTION and main.isalpha() and main.islower():
            return low, main, j + 1
        raise _Unreadable
    if not toks[i].islower() or not low.isalpha() or low in FUNCTION:
        return None
    if low in IRREGULAR or (_looks_past(low) and (nxt in FUNCTION or not nxt.isalpha() or low in DOERS_VERBS)):
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


def _looks_past(word: str) -> bool:
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed") and not is_number(word)


def base_of_past(word: str) -> str | None:
    """The base form of a regular past tense ('invented' -> 'invent', 'carried' -> 'carry')."""
    if word in IRREGULAR:
        return IRREGULAR[word][0]
    if len(word) < 5 or not word.endswith("ed") or not word.isalpha() or word.endswith("eed"):
        return None
    stem = word[:-2]
    if stem.endswith("i"):
        return stem[:-1] + "y"
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    if stem.endswith("ng") and not stem.endswith(("ing", "ong", "ung")):
        return stem + "e"  # changed, arranged; not belonged
    if len(stem) > 2 and stem[-1] == "s" and stem[-2] not in "aeious":
        return stem + "e"  # collapsed, rinsed, nursed
    if stem.endswith(("at", "iz", "is", "uc", "ac", "ic", "v", "c", "z", "us", "os", "ur", "rs", "as", "ag")):
        return stem + "e"
    if stem.endswith(("ar", "or", "er", "ow", "ay", "ey", "oy", "ll", "rn", "rm", "nt", "st", "mb", "ck", "sh")):
        return stem
    if len(stem) >= 3 and stem[-1] in "bdgklmnprt" and stem[-2] in "aeiou" and stem[-3] not in "aeiou":
        # climbed/turned handled above; 'hoped', 'liked', 'saved', 'used' vs 'visited': uncertain
        return None
    return stem


def third_person(base: str) -> str:
    """'weaken' -> 'weakens', 'carry' -> 'carries', 'do' -> 'does', 'have' -> 'has'."""
    if base in ("have", "has"):
        return "has"
    if base in ("do", "go"):
        return base + "es"
    if base.endswith("y") and len(base) > 2 and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    if base.endswith(("ch", "sh", "x", "ss", "zz", "o")):
        return base + "es"
    return base + "s"


def base_of_present(word: str) -> str:
    """'lives' -> 'live', 'carries' -> 'carry', 'watches' -> 'watch'; a base form stays as it is."""
    if word == "has":
        return "have"
    if word == "does":
        return "do"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zzes", "oes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def is_plural(phrase: tuple[str, ...]) -> bool:
    """Whether a subject noun phrase is plural ('farm chemicals', 'lamps and timers')."""
    low = [w.lower() for w in phrase]
    if "and" in low or (low and low[0] in ("these", "those", "many", "several", "both", "few", "all")):
        return True
    head = low[-1] if low else ""
    return head in ("people", "children", "men", "women", "mice", "geese", "teeth", "feet") or (
        head.endswith("s") and not head.endswith(("ss", "us", "is"))
    )


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
    if len(out) == 1 and (out[0].lower() in IRREGULAR or _looks_past(out[0].lower())):
        return ()  # "got paged": a verb on its own
    return tuple(out)


QUESTION_WORDS = frozenset("what who whom whose which why how where when".split())


def _verb_after_noun(low: str, nxt: str) -> bool:
    if low in IRREGULAR or _looks_past(low):
        return True
    return low.endswith("s") and not low.endswith("ss") and (nxt in PREPOSITIONS - {"of"} or nxt in DETERMINERS)
