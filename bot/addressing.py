"""Whether a reply in a digest thread reads as a question, in the languages recap can tell simply.

People talk to each other in a digest's thread too; recap answers what is addressed to it (the
assistant decides, with this and the thread's state), not every message that passes by.
"""

from __future__ import annotations

import re

# Question marks of the scripts people write them in: Latin, Greek (";" is ambiguous, left out),
# Arabic and Persian, Chinese and Japanese full width, Armenian, Ethiopic.
QUESTION_MARKS = ("?", "？", "؟", "՞", "፧")

# Words a question starts with, lower case, for languages that mark questions by their first word.
QUESTION_WORDS = frozenset(
    # English
    "what when where which who whom whose why how is are was were do does did can could will would "
    "should shall may might has have had isn't aren't doesn't don't didn't can't won't "
    # French
    "quoi quand où quel quelle quels quelles qui pourquoi comment combien est-ce est-il est-elle "
    # German
    "was wann wo welche welcher welches wer wie warum wieso weshalb gibt ist sind kann könnte "
    # Spanish (the opening ¿ is a question by itself)
    "qué cuándo dónde cuál cuáles quién quiénes por cómo cuánto cuántos "
    # Italian
    "cosa che quando dove quale quali chi perché come quanto quanti "
    # Portuguese
    "quê quando onde qual quais quem porque porquê como quanto quantos "
    # Dutch
    "wat wanneer waar welke wie waarom hoe hoeveel".split()
)
_FIRST_WORD = re.compile(r"[\w'’-]+")
_TRAILING = re.compile(r"[\s\"'”’)\]»!.…]+$")


def reads_as_question(text: str) -> bool:
    """True for "How long do bees live?", "¿Cuánto viven?", "why did they stop" and the like."""
    text = text.strip()
    if not text:
        return False
    if text.startswith("¿") or _TRAILING.sub("", text).endswith(QUESTION_MARKS):
        return True
    first = _FIRST_WORD.match(text)
    return bool(first and first.group().lower().replace("’", "'") in QUESTION_WORDS)
