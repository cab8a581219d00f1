"""Word error rate, and how close a transcript's segment starts come to the script's sentences.

Text is compared as words: lower case, without punctuation, hyphenated words split. Numbers are
compared as written, so "2300" against the script's "two thousand three hundred" counts as errors
for every transcriber alike: compare WERs measured here with each other, not with published ones.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("-", " "))


def wer(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words: Levenshtein over words."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def starts_within(reference_starts: list[float], starts: list[float], tolerance_s: float = 3.0) -> float:
    """Share of the script's sentence starts that some segment starts within `tolerance_s` of."""
    if not reference_starts:
        return 1.0
    ordered = sorted(starts)
    hits = 0
    for t in reference_starts:
        hits += any(abs(s - t) <= tolerance_s for s in _near(ordered, t))
    return hits / len(reference_starts)


def _near(ordered: list[float], t: float) -> list[float]:
    import bisect

    i = bisect.bisect_left(ordered, t)
    return ordered[max(0, i - 1) : i + 1]
