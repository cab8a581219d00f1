"""ExtractiveWriter: a digest and answers made only of the video's own sentences.

The embedded default when no API key is set: no network, no model, deterministic. It ranks
sentences by how central they are to the talk, cuts the talk into sections at topic shifts and
builds every part of the digest from verbatim transcript sentences, so everything it shows is
grounded by construction. It says it is extractive (`writer: "extractive"`) rather than pretend
to paraphrase.
"""

from __future__ import annotations

from collections import Counter

from . import answers
from .answers import AnswerFinder
from .cjk import joined
from .english import Names, names_of
from .headings import heading
from .models import QA, Answer, Digest, Moment, Section, Transcript, TranscriptInfo, Turn, Video
from .questions import announced, ask, subject_of
from .retrieval import leans_on_previous
from .text import Unit, tokens, units, word_count
from .topics import boundaries, cosine, keyword_weights, keywords, talk_words, tf_idf

# Answers live in summarizer/answers.py; these names stay importable from here.
MIN_COVERAGE = answers.MIN_COVERAGE
NOT_COVERED = answers.NOT_COVERED


class ExtractiveWriter:
    name = "extractive"

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        lang = transcript.language
        us = units(transcript.segments)
        score = _centrality(us, lang)
        starts = boundaries(us, language=lang)
        parts = [us[a:b] for a, b in zip(starts, starts[1:] + [len(us)])]
        maker = SectionMaker(us, lang, score)
        core = maker.asker.core()
        sections = [maker.section(part) for part in parts]
        for a, b in zip(sections, sections[1:]):  # a topic can change mid-segment; sections must not overlap
            a.end_s = min(a.end_s, b.start_s)
        ranked = _ranked(us, parts, score, lang)
        highlights = [Moment(text=u.text, start_s=u.start) for u in sorted(ranked, key=lambda u: u.index)]
        return Digest(
            video=video,
            transcript=TranscriptInfo(
                source=transcript.source, segments=len(transcript.segments), covered_s=transcript.end
            ),
            writer=self.name,
            hook=_hook(us, score, parts[0], lang),
            core_question=core or "What is this talk about?",
            highlights=highlights or [Moment(text=us[0].text, start_s=us[0].start)],
            sections=sections,
            takeaways=_takeaways(parts, ranked, score, lang),
            qa=maker.asker.closing(),
            reading_minutes=0,
            watch_minutes=0,
            saved_minutes=0,  # filled in by grounding.finish
        )

    def write_answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        return AnswerFinder().answer(video, transcript, question, turns)


class SectionMaker:
    """Builds sections of a talk from its own sentences, each heading and question used once."""

    def __init__(self, us: list[Unit], language: str | None, score: dict[int, float] | None = None) -> None:
        self.us = us
        self.language = language
        self.score = score if score is not None else _centrality(us, language)
        self.asker = _Asker(us, self.score, language)
        self.common = talk_words(us, language)
        self.taken: set[str] = set()  # headings given so far, lower-cased

    def heading(self, part: list[Unit]) -> str:
        """The most telling phrase of `part`, else its strongest word; '' for a part with no words."""
        lang = self.language
        by_score = sorted(part, key=lambda u: -self.score[u.index])
        weights = keyword_weights(part, self.us, lang)
        weights = {t: w * (0.3 if t in self.common else 1.0) for t, w in weights.items()}
        title = heading(part[0].text, [u.text for u in by_score], weights, lang, self.taken)
        if not title:  # no phrase: the part's strongest word, if it is a word and not a number
            spoken = keywords(part, self.us, k=3, language=lang)
            title = next((w for w in spoken if w.lower() not in self.taken and not any(c.isdigit() for c in w)), "")
            title = title[:1].upper() + title[1:]
        self.taken.add(title.lower())
        return title

    def section(self, part: list[Unit], title: str = "") -> Section:
        """A section of `part`: its most telling phrase as the heading (or `title`), its best
        sentences as the summary, its best sentence quoted, and questions its sentences answer."""
        if title:
            self.taken.add(title.lower())
        by_score = sorted(part, key=lambda u: -self.score[u.index])
        summary = _summary(part, by_score, max(1, min(3, len(part) // 2)))
        # The quote is a sentence that stands alone, and not a one-sentence summary said again (the
        # same sentence twice in a row reads as a mistake); from a longer summary it is a pull quote.
        alone = [u for u in by_score if not leans_on_previous(u)] or by_score
        quote = next((u for u in alone if len(summary) > 1 or u not in summary), alone[0])
        start = part[0].start
        return Section(
            title=title or self.heading(part) or f"Part at {int(start) // 60}:{int(start) % 60:02d}",
            start_s=start,
            end_s=part[-1].end,
            summary=joined(u.text for u in summary),
            quote=Moment(text=quote.text, start_s=quote.start),
            deeper=self.asker.for_part(part, limit=2),
        )


def _summary(part: list[Unit], by_score: list[Unit], n: int) -> list[Unit]:
    """The part's best `n` sentences in speaking order, each readable where it stands: one that
    leans on the sentence before ("This took twelve minutes…") comes with it when that sentence is in
    the part, and is passed over for the next best when it is not (it leans on another section)."""
    first = part[0].index
    chosen: set[int] = set()
    for u in by_score:
        if len(chosen) >= n:
            break
        # "That would free up…" / "It costs…": walk back to the sentence the chain leans on.
        chain = [u]
        while leans_on_previous(chain[-1]) and chain[-1].index > first and len(chain) < 3:
            chain.append(part[chain[-1].index - 1 - first])
        if not leans_on_previous(chain[-1]):
            chosen.update(c.index for c in chain)
    return [u for u in part if u.index in chosen] or by_score[:1]


def highlights(transcript: Transcript) -> list[Moment]:
    """The moments the extractive writer would highlight: what repairs another writer's digest whose
    highlights all pointed at moments the video does not have."""
    us = units(transcript.segments)
    if not us:
        return []
    lang = transcript.language
    score = _centrality(us, lang)
    starts = boundaries(us, language=lang)
    parts = [us[a:b] for a, b in zip(starts, starts[1:] + [len(us)])]
    ranked = _ranked(us, parts, score, lang)
    return [Moment(text=u.text, start_s=u.start) for u in sorted(ranked, key=lambda u: u.index)]


def _ranked(us: list[Unit], parts: list[list[Unit]], score: dict[int, float], language: str | None) -> list[Unit]:
    """Every section's best moment first, so the highlights span the talk, then the best of the rest."""

    # A highlight is read on its own: "It costs a tenth of the price" says nothing without the
    # sentence before, so sentences that lean on it come last.
    def rank(u: Unit) -> tuple[bool, float]:
        return leans_on_previous(u), -score[u.index]

    leaders = [min(part, key=rank) for part in parts]
    others = sorted((u for u in us if u not in leaders), key=rank)
    return _diverse(leaders + others, limit=min(6, max(3, len(us) // 3)), language=language)


def _centrality(us: list[Unit], language: str | None) -> dict[int, float]:
    """How worth reading each unit is: central to the talk, yet specific, and of readable length.

    Centrality alone favours sentences made of the talk's commonest words ("bees", "honey"),
    which say little; the mean weight of a unit's words rewards the specific facts.
    """
    bags = tf_idf(us, language)
    centroid = sum(bags, Counter())
    specific = {u.index: sum(bag.values()) / max(1, len(bag)) for u, bag in zip(us, bags)}
    top = max(specific.values(), default=0) or 1.0
    out = {}
    for u, bag in zip(us, bags):
        n = word_count(u.text)
        length = 1.0 if 8 <= n <= 35 else 0.6
        out[u.index] = (0.5 * cosine(bag, centroid) + 0.5 * specific[u.index] / top) * length
    return out


def _diverse(ranked: list[Unit], limit: int, language: str | None) -> list[Unit]:
    """Maximal marginal relevance: skip a unit that mostly repeats one already picked."""
    picked: list[Unit] = []
    for u in ranked:
        if not any(_repeats(u.text, p.text, language) for p in picked):
            picked.append(u)
        if len(picked) == limit:
            break
    return picked


def _repeats(a: str, b: str, language: str | None, threshold: float = 0.5) -> bool:
    """Whether two sentences say mostly the same words (a passage said twice, a restatement)."""
    return cosine(Counter(tokens(a, language)), Counter(tokens(b, language))) >= threshold


def _hook(us: list[Unit], score: dict[int, float], opening: list[Unit], language: str | None) -> str:
    """The opening paragraph: consecutive sentences from where the talk opens its subject.

    It starts at the first sentence of the opening section that is worth reading (greetings and
    housekeeping score low), one earlier if that one leans on it ("It was built…"), and runs on
    until it makes a short paragraph.
    """
    top = max(score[u.index] for u in opening)
    start = next(u.index for u in opening if score[u.index] >= 0.6 * top)
    if start > 0 and us[start].text.split()[0].lower() in _LEANING:
        start -= 1
    chosen = [us[start]]
    for u in us[start + 1 : start + 3]:
        if word_count(" ".join(c.text for c in chosen)) >= 30 or u not in opening:
            break
        if u.text.split()[0].lower() not in _LEANING and score[u.index] < 0.5 * top:
            break
        chosen.append(u)
    return joined(u.text for u in chosen)


# Sentences opening with these lean on the one before; a paragraph cannot start with them.
_LEANING = frozenset("it it's its this that these those they them he she so and but then also".split())


def _takeaways(parts: list[list[Unit]], ranked: list[Unit], score: dict[int, float], language: str | None) -> list[str]:
    """A takeaway per section, preferring a sentence that stands alone ("It sits at seventy eight
    percent full" does not) and what the highlights have not said, never one that repeats another
    (a talk that says a passage twice gives it once)."""
    out: list[str] = []
    for part in parts:
        for u in sorted(part, key=lambda u: (leans_on_previous(u), u in ranked, -score[u.index])):
            if not any(_repeats(u.text, t, language) for t in out):
                out.append(u.text)
                break
    return out or [max(ranked or [u for p in parts for u in p], key=lambda u: score[u.index]).text]


class _Asker:
    """The questions a talk's sentences answer, each asked once, best first."""

    def __init__(self, us: list[Unit], score: dict[int, float], language: str | None) -> None:
        self.us = us
        self.score = score
        self.language = language
        self.asked: set[str] = set()
        self.answers: set[str] = set()
        self.english = english = language is None or language.lower().startswith("en")
        names = names_of([u.text for u in us]) if english else Names()
        self.pairs: list[tuple[float, QA, Unit]] = []
        top = max(score.values(), default=0) or 1.0
        for a, b in zip(us, us[1:]):
            if _is_question(a.text) and not _is_question(b.text):  # the speaker asks and answers
                self.pairs.append((3.0 + score[b.index] / top, QA(question=a.text, answer=b.text, start_s=b.start), b))
        if not english:
            return
        for u in us:
            if not _is_sentence(u.text):
                continue  # a window of unpunctuated captions: its clause cannot be read
            previous = subject_of(us[u.index - 1].text) if u.index else ()
            for q in ask(u.text, previous, names)[:1]:
                qa = QA(question=q.text, answer=u.text, start_s=u.start)
                self.pairs.append((q.score + score[u.index] / top, qa, u))
        self.pairs.sort(key=lambda p: (-p[0], p[2].index))

    def core(self) -> str | None:
        """The question the talk sets out to answer: one the speaker asks in its first third, or says
        the talk will answer ("let's walk through what happened"), else the best question its most
        central sentences answer."""
        opening = self.us[: max(3, len(self.us) // 3)]
        asked = [u.text for u in opening if _is_question(u.text)]
        if asked:
            return asked[0]
        # What the speaker says the talk will show: "today I want to show you how I keep a starter alive".
        said = next((q for u in opening if (q := announced(u.text))), None) if self.english else None
        if said:
            self.asked.add(said.lower())
            return said
        # A question about what the whole talk keeps coming back to ("bees", "lighthouses").
        common = talk_words(self.us, self.language)
        made = [
            (len(common & set(tokens(qa.question, self.language))), s, -u.index, qa)
            for s, qa, u in self.pairs
            if s < 3.0
        ]
        if not made:  # no rules for this language, or nothing to ask: any question the speaker asks
            later = [u.text for u in self.us if _is_question(u.text)]
            return later[0] if later else None
        best = max(made, key=lambda p: p[:3])
        return self._take(best[3]).question

    def for_part(self, part: list[Unit], limit: int) -> list[QA]:
        inside = {u.index for u in part}
        return self._pick([p for p in self.pairs if p[2].index in inside], limit)

    def closing(self, limit: int = 4) -> list[QA]:
        return self._pick(self.pairs, limit)

    def _pick(self, pairs: list[tuple[float, QA, Unit]], limit: int) -> list[QA]:
        """The best `limit` questions not asked yet, each answered by a sentence no other answers."""
        out: list[QA] = []
        for _, qa, _ in pairs:
            if len(out) == limit:
                break
            if qa.question.lower() not in self.asked and qa.answer not in self.answers:
                out.append(self._take(qa))
        return out

    def _take(self, qa: QA) -> QA:
        self.asked.add(qa.question.lower())
        self.answers.add(qa.answer)
        return qa


def _is_sentence(text: str) -> bool:
    """Whether a unit reads as one written sentence: a capital at the start, a full stop at the end."""
    text = text.strip()
    return bool(text) and text[0].isupper() and text[-1] in ".!"


def _is_question(text: str) -> bool:
    return text.rstrip().endswith(("?", "？", "؟"))
