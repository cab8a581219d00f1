"""ExtractiveWriter: a digest and answers made only of the video's own sentences.

The embedded default when no API key is set: no network, no model, deterministic. It ranks
sentences by how central they are to the talk, cuts the talk into sections at topic shifts and
builds every part of the digest from verbatim transcript sentences, so everything it shows is
grounded by construction. It says it is extractive (`writer: "extractive"`) rather than pretend
to paraphrase.
"""

from __future__ import annotations

from collections import Counter

from .models import QA, Answer, Citation, Digest, Moment, Section, Transcript, TranscriptInfo, Turn, Video
from .retrieval import PassageIndex
from .text import Unit, tokens, units, word_count
from .topics import boundaries, cosine, keywords, tf_idf

# Below this IDF-weighted share of the question's words, the video does not cover the question.
MIN_COVERAGE = 0.5
NOT_COVERED = "The video does not seem to cover that: nothing in the transcript speaks to it."


class ExtractiveWriter:
    name = "extractive"

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        us = units(transcript.segments)
        score = _centrality(us)
        starts = boundaries(us)
        parts = [us[a:b] for a, b in zip(starts, starts[1:] + [len(us)])]
        sections = [self._section(part, us, score) for part in parts]
        for a, b in zip(sections, sections[1:]):  # a topic can change mid-segment; sections must not overlap
            a.end_s = min(a.end_s, b.start_s)
        used = {q.answer for s in sections for q in s.deeper}
        ranked = _ranked(us, parts, score)
        highlights = [Moment(text=u.text, start_s=u.start) for u in sorted(ranked, key=lambda u: u.index)]
        # A takeaway per section, preferring what the highlights have not already said.
        takeaways = [max(part, key=lambda u: (u not in ranked, score[u.index])).text for part in parts]
        topics = keywords(us, us, k=3)
        return Digest(
            video=video,
            transcript=TranscriptInfo(
                source=transcript.source, segments=len(transcript.segments), covered_s=transcript.end
            ),
            writer=self.name,
            hook=_hook(us, score),
            core_question=_core_question(us, topics),
            highlights=highlights or [Moment(text=us[0].text, start_s=us[0].start)],
            sections=sections,
            takeaways=takeaways,
            qa=_closing_qa(us, score, used),
            reading_minutes=0,
            watch_minutes=0,
            saved_minutes=0,  # filled in by grounding.finish
        )

    def write_answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        index = PassageIndex(units(transcript.segments))
        hits = index.search(question, k=3)
        if turns and (not hits or max(h.coverage for h in hits) < MIN_COVERAGE):
            # A follow-up such as "and how long do they live?" leans on the previous question.
            hits = index.search(question, k=3, extra_terms=tokens(turns[-1].question))
        hits = [h for h in hits if h.coverage >= MIN_COVERAGE / 2]
        if not hits or max(h.coverage for h in hits) < MIN_COVERAGE:
            return Answer(question=question, answer=NOT_COVERED, grounded=False, citations=[])
        top = max(hits, key=lambda h: (h.coverage, h.score))
        # A second passage earns its place only if it speaks to the question as fully as the first.
        best = sorted(
            [h for h in hits if h is top or (h.coverage >= top.coverage and h.score >= 0.6 * top.score)][:2],
            key=lambda h: h.unit.index,
        )
        return Answer(
            question=question,
            answer=" ".join(h.unit.text for h in best),
            grounded=True,
            citations=[Citation(start_s=h.unit.start, end_s=h.unit.end, text=h.unit.text) for h in best],
        )

    def _section(self, part: list[Unit], whole: list[Unit], score: dict[int, float]) -> Section:
        by_score = sorted(part, key=lambda u: -score[u.index])
        summary = [u for u in part if u in by_score[: max(1, min(3, len(part) // 2))]]
        quote = by_score[0]
        words = keywords(part, whole, k=3)
        return Section(
            title=_title(words) or f"Part at {int(part[0].start)}s",
            start_s=part[0].start,
            end_s=part[-1].end,
            summary=" ".join(u.text for u in summary),
            quote=Moment(text=quote.text, start_s=quote.start),
            deeper=_questions_for(part, words, score)[:2],
        )


def highlights(transcript: Transcript) -> list[Moment]:
    """The moments the extractive writer would highlight: what repairs another writer's digest whose
    highlights all pointed at moments the video does not have."""
    us = units(transcript.segments)
    if not us:
        return []
    score = _centrality(us)
    starts = boundaries(us)
    parts = [us[a:b] for a, b in zip(starts, starts[1:] + [len(us)])]
    return [Moment(text=u.text, start_s=u.start) for u in sorted(_ranked(us, parts, score), key=lambda u: u.index)]


def _ranked(us: list[Unit], parts: list[list[Unit]], score: dict[int, float]) -> list[Unit]:
    """Every section's best moment first, so the highlights span the talk, then the best of the rest."""
    leaders = [max(part, key=lambda u: score[u.index]) for part in parts]
    others = sorted((u for u in us if u not in leaders), key=lambda u: -score[u.index])
    return _diverse(leaders + others, limit=min(6, max(3, len(us) // 3)))


def _centrality(us: list[Unit]) -> dict[int, float]:
    """How worth reading each unit is: central to the talk, yet specific, and of readable length.

    Centrality alone favours sentences made of the talk's commonest words ("bees", "honey"),
    which say little; the mean weight of a unit's words rewards the specific facts.
    """
    bags = tf_idf(us)
    centroid = sum(bags, Counter())
    specific = {u.index: sum(bag.values()) / max(1, len(bag)) for u, bag in zip(us, bags)}
    top = max(specific.values(), default=0) or 1.0
    out = {}
    for u, bag in zip(us, bags):
        n = word_count(u.text)
        length = 1.0 if 8 <= n <= 35 else 0.6
        out[u.index] = (0.5 * cosine(bag, centroid) + 0.5 * specific[u.index] / top) * length
    return out


def _diverse(ranked: list[Unit], limit: int) -> list[Unit]:
    """Maximal marginal relevance: skip a unit that mostly repeats one already picked."""
    picked: list[Unit] = []
    for u in ranked:
        bag = Counter(tokens(u.text))
        if all(cosine(bag, Counter(tokens(p.text))) < 0.5 for p in picked):
            picked.append(u)
        if len(picked) == limit:
            break
    return picked


def _hook(us: list[Unit], score: dict[int, float]) -> str:
    opening = us[: max(2, len(us) // 5)]
    first = max(opening, key=lambda u: score[u.index])
    best = max(us, key=lambda u: score[u.index])
    chosen = sorted({first, best}, key=lambda u: u.index)
    return " ".join(u.text for u in chosen)


def _core_question(us: list[Unit], topics: list[str]) -> str:
    asked = [u.text for u in us[: max(3, len(us) // 3)] if u.text.rstrip().endswith("?")]
    if asked:
        return asked[0]
    if not topics:
        return "What is this video about?"
    listed = ", ".join(topics[:-1]) + f" and {topics[-1]}" if len(topics) > 1 else topics[0]
    return f"What does the video say about {listed}?"


def _title(words: list[str]) -> str:
    if not words:
        return ""
    listed = ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]
    return listed[0].upper() + listed[1:]


def _questions_for(part: list[Unit], words: list[str], score: dict[int, float]) -> list[QA]:
    """Questions the speaker asks and answers, else 'what about <keyword>' answered by its best sentence."""
    out: list[QA] = []
    for a, b in zip(part, part[1:]):
        if a.text.rstrip().endswith("?") and not b.text.rstrip().endswith("?"):
            out.append(QA(question=a.text, answer=b.text, start_s=b.start))
    for word in words:
        stem = tokens(word)
        holders = [u for u in part if stem and stem[0] in tokens(u.text)]
        if holders:
            best = max(holders, key=lambda u: score[u.index])
            out.append(QA(question=f"What does the video say about {word}?", answer=best.text, start_s=best.start))
    unique: dict[str, QA] = {}
    for qa in out:  # two keywords answered by one sentence make one question, not two
        unique.setdefault(qa.answer, qa)
    return list(unique.values())


def _closing_qa(us: list[Unit], score: dict[int, float], used: set[str]) -> list[QA]:
    """The talk's main subjects, each answered by a sentence no section already answered with."""
    return [qa for qa in _questions_for(us, keywords(us, us, k=8), score) if qa.answer not in used][:4]
