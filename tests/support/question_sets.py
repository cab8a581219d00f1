"""The question sets of tests/fixtures/questions/ and how well a writer answers them.

Each set belongs to one fixture talk (tests/fixtures/talks.json): questions the talk answers,
phrased as people ask them, each with the index of the sentence that answers it, and questions it
does not answer (some off in another field, some near the topic). `held_out` sets were kept out of
the tuning of summarizer/answers.py and summarizer/retrieval.py.

`measure` asks every question of a set against one transcript of the talk and counts:
- answered right: a grounded answer whose citations overlap the answering sentence in time;
- right moment: its first citation (the best sentence) starts within 3 s of that sentence;
- refused: an off-topic question answered "not covered".
Times, not texts, decide: a whisper transcript words and cuts the talk its own way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.models import Answer, Citation, Transcript, Turn
from tests.support.talk_fixtures import FIXTURES, sentences

QUESTIONS = FIXTURES / "questions"
MOMENT_TOLERANCE_S = 3.0

Ask = Callable[[Transcript, str, list[Turn]], Answer]


@dataclass(frozen=True)
class Asked:
    question: str
    sentence: int
    accept: tuple[int, ...] = ()
    after: str | None = None  # the question asked just before, for a follow-up

    @property
    def answering(self) -> tuple[int, ...]:
        return (self.sentence, *self.accept)


@dataclass(frozen=True)
class QuestionSet:
    talk: str
    held_out: bool
    answerable: list[Asked]
    off_topic: list[str]


@dataclass
class Rates:
    answerable: int = 0
    right: int = 0
    right_moment: int = 0
    off_topic: int = 0
    refused: int = 0
    misses: list[str] = field(default_factory=list)  # what went wrong, for the failure message

    def add(self, other: Rates) -> Rates:
        return Rates(
            self.answerable + other.answerable,
            self.right + other.right,
            self.right_moment + other.right_moment,
            self.off_topic + other.off_topic,
            self.refused + other.refused,
            self.misses + other.misses,
        )

    @property
    def right_rate(self) -> float:
        return self.right / max(1, self.answerable)

    @property
    def moment_rate(self) -> float:
        return self.right_moment / max(1, self.answerable)

    @property
    def refused_rate(self) -> float:
        return self.refused / max(1, self.off_topic)

    def line(self) -> str:
        return (
            f"answered right {self.right}/{self.answerable} ({self.right_rate:.0%}), "
            f"right moment {self.right_moment}/{self.answerable} ({self.moment_rate:.0%}), "
            f"off-topic refused {self.refused}/{self.off_topic} ({self.refused_rate:.0%})"
        )


def load(path: Path) -> QuestionSet:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return QuestionSet(
        talk=doc["talk"],
        held_out=bool(doc["held_out"]),
        answerable=[
            Asked(a["question"], int(a["sentence"]), tuple(a.get("accept", ())), a.get("after"))
            for a in doc["answerable"]
        ],
        off_topic=list(doc["off_topic"]),
    )


def question_sets() -> list[QuestionSet]:
    return [load(p) for p in sorted(QUESTIONS.glob("*.json"))]


def _overlaps(c: Citation, span: dict) -> bool:
    shared = min(c.end_s, span["end"]) - max(c.start_s, span["start"])
    return shared >= 0.5 * min(c.end_s - c.start_s, span["end"] - span["start"])


def measure(qs: QuestionSet, transcript: Transcript, ask: Ask) -> Rates:
    said = sentences(qs.talk)
    rates = Rates(answerable=len(qs.answerable), off_topic=len(qs.off_topic))
    for item in qs.answerable:
        turns = []
        if item.after:
            before = ask(transcript, item.after, [])
            turns = [Turn(question=item.after, answer=before.answer)]
        a = ask(transcript, item.question, turns)
        spans = [said[i] for i in item.answering]
        right = a.grounded and any(_overlaps(c, s) for c in a.citations for s in spans)
        moment = (
            a.grounded
            and bool(a.citations)
            and any(abs(a.citations[0].start_s - s["start"]) <= MOMENT_TOLERANCE_S for s in spans)
        )
        rates.right += right
        rates.right_moment += moment
        if not (right and moment):
            got = a.citations[0].text if a.grounded and a.citations else "(not covered)"
            rates.misses.append(f"{qs.talk}: {item.question!r} -> {got!r}")
    for question in qs.off_topic:
        a = ask(transcript, question, [])
        rates.refused += not a.grounded
        if a.grounded:
            rates.misses.append(f"{qs.talk}: off-topic {question!r} answered {a.citations[0].text!r}")
    return rates
