"""English as the offline writer reads it: closed word classes, verb forms, a talk's names.

Small lists rather than a tagger: determiners, prepositions and auxiliaries are few and fixed, and
they are what finds the verb and the noun phrases of a plain spoken sentence (clauses.py). Verb
forms are turned around only where the rule is sure ("invented" -> "invent"); elsewhere the answer
is None and no question is built on a guess.
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

# What questions are made of (questions.py).
PEOPLE = frozenset(
    """people person persons man men woman women children kids farmer farmers beekeeper beekeepers keeper keepers
    sailor sailors visitor visitors engineer engineers scientist scientists researcher researchers team teams
    customer customers user users student students teacher teachers doctor doctors king kings queen's monks
    inventor inventors builder builders settlers soldiers fishermen merchants traders officials manager managers
    developers staff humans parents experts historians archaeologists astronomers explorers writers artists
    founder founders workers' nurses patients pilots""".split()
)
# Verbs whose doer is a person whatever the name: things do not invent or write.
PERSON_VERBS = frozenset(
    "invented discovered founded wrote designed created composed painted built proposed described named".split()
)
TIME_UNITS = frozenset(
    "second seconds minute minutes hour hours day days week weeks month months year years decade decades "
    "century centuries".split()
)
MONTHS = frozenset("january february march april may june july august september october november december".split())
MEASURES = frozenset("tall high long wide deep old big heavy far large fast hot cold".split())
APPROX = frozenset("about around roughly nearly almost over under more than less up to just some".split())
# Years said aloud start with these ("eighteen fifty one", "nineteen ninety eight").
YEAR_OPENERS = frozenset(
    "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty two".split()
)


def is_number(word: str) -> bool:
    return word[0].isdigit() or word.lower() in NUMBERS


def looks_past(word: str) -> bool:
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


def time_phrase(ws: tuple[str, ...]) -> tuple[int, int] | None:
    """(start, end) of a phrase saying when: 'in eighteen fifty one', 'in 1851', 'in the twentieth
    century', 'two thousand years ago'."""
    low = [w.lower() for w in ws]
    for i, w in enumerate(low):
        if w in ("in", "during", "by") and i + 1 < len(low):
            nxt = low[i + 1 : i + 5]
            if re.fullmatch(r"1\d{3}|20\d{2}", nxt[0]) or nxt[0] in MONTHS:
                return i, i + 2
            if nxt[0] in YEAR_OPENERS and len(nxt) > 1 and is_number(nxt[1]):
                end = i + 1
                while end < len(low) and is_number(low[end]):
                    end += 1
                return i, end
            if nxt[0] == "the" and "century" in nxt[:3] or nxt[0] == "the" and "decade" in nxt[:3]:
                return i, i + 1 + nxt.index("century" if "century" in nxt else "decade") + 1
        if w == "ago" and i > 0:
            start = i - 1
            while start > 0 and (is_number(low[start - 1]) or low[start - 1] in APPROX or low[start - 1] in TIME_UNITS):
                start -= 1
            return start, i + 1
    return None


def duration_at(ws: tuple[str, ...]) -> int | None:
    """Where 'for (about) six weeks' / 'for centuries' starts, if the rest says how long."""
    low = [w.lower() for w in ws]
    for i, w in enumerate(low):
        if w != "for":
            continue
        j = i + 1
        while j < len(low) and low[j] in APPROX:
            j += 1
        while j < len(low) and is_number(low[j]):
            j += 1
        if j < len(low) and low[j] in TIME_UNITS and (j > i + 1 or low[j] in ("centuries", "decades", "years")):
            return i
    return None


@dataclass(frozen=True)
class Names:
    """What the talk's capitals say: `proper` words are capitalised mid-sentence and never said in
    lower case (names); `lower` are the words it does say in lower case."""

    proper: frozenset[str] = frozenset()
    lower: frozenset[str] = frozenset()

    def __contains__(self, word: str) -> bool:
        return word in self.proper

    def maybe_name(self, word: str) -> bool:
        """A capitalised word the talk never says in lower case: 'Priya' or 'Support' cannot be told apart."""
        return word[:1].isupper() and word.lower() not in self.lower


def names_of(sentences: list[str]) -> Names:
    capital: set[str] = set()
    lower: set[str] = set()
    for sentence in sentences:
        for i, w in enumerate(re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)):
            if w[0].isupper() and i > 0:
                capital.add(w)
            elif w[0].islower():
                lower.add(w)
    return Names(frozenset(w for w in capital if w.lower() not in lower), frozenset(lower))
