"""Is the speech in a language the whisper model knows?

An English-only model (`tiny.en`, `small.en`, ...) given French or Spanish speech does not fail: it
writes English-looking text, either repetition loops ("I'm not sure if I'm going to ..." over and
over) or a few low-confidence fragments, and a digest of that would be gibberish presented as fact.
Two checks, cheapest first:

- the page declares a language (`Video.language`) and the model is English-only: refuse before
  downloading anything (`check_declared`);
- nothing is declared: judge the transcription as it comes (`Intelligibility`), by the measures
  whisper itself uses to reject a decoding: a compression ratio above 2.4 (repetition, faster-whisper's
  own threshold) or an average log-probability below -0.75. On the fixture talks (espeak-ng voices)
  English segments scored -0.13 to -0.45 and 1.3-1.6; French, Spanish and German speech either looped
  (ratio 9-26) or scored -1.01 to -1.29. Whisper's own -1.0 is too close: on such speech sequential
  decoding falls back to sampling at higher temperatures, so scores vary from run to run, and in 30
  runs one French run kept most of its seconds at -0.91. Calibrated on synthetic voices only: noisy
  real English may score lower than -0.45 with tiny.en; a wrong refusal names the setting that helps.

A multilingual model needs neither: whisper detects the language itself (Transcript.language).
"""

from __future__ import annotations

from .errors import UnsupportedLanguage
from .languages import language_code, snowball_name

COMPRESSION_RATIO_MAX = 2.4  # faster-whisper's compression_ratio_threshold
AVG_LOGPROB_MIN = -0.75  # between English (>= -0.45) and foreign speech (<= -0.91) on the fixtures
GARBLED_SHARE_MAX = 0.5  # of the transcribed seconds
# Sequential decoding drops most of a foreign talk as "no speech" (3 s kept of 34 s of French):
# what it keeps is judged, however little.
MIN_JUDGED_S = 1.0
MULTILINGUAL_EXAMPLES = "`small` or `large-v3`"


def english_only_message(model: str, heard: str) -> str:
    return (
        f"{heard}, and the whisper model here ({model}) understands only English, so recap will not "
        f"summarise it. Set RECAP_WHISPER_MODEL to a multilingual model such as {MULTILINGUAL_EXAMPLES} "
        "to transcribe other languages."
    )


def check_declared(language: str | None, english_only: bool, model: str) -> None:
    """Refuse at once when the page says the video is in another language than English."""
    code = language_code(language) if language else None
    if english_only and code and code != "en":
        raise UnsupportedLanguage(english_only_message(model, f"This video is in {_name(code)}"))


class Intelligibility:
    """Whisper's own segment statistics, accumulated over a transcription, weighed by duration."""

    def __init__(self) -> None:
        self.judged_s = 0.0
        self.garbled_s = 0.0

    def add(self, duration_s: float, avg_logprob: float, compression_ratio: float) -> None:
        duration_s = max(0.0, duration_s)
        self.judged_s += duration_s
        # NaN compares False both ways: a segment without statistics counts as garbled.
        if not (compression_ratio <= COMPRESSION_RATIO_MAX and avg_logprob >= AVG_LOGPROB_MIN):
            self.garbled_s += duration_s

    @property
    def garbled_share(self) -> float:
        return self.garbled_s / self.judged_s if self.judged_s else 0.0

    def check(self, model: str) -> None:
        """Refuse when most of what an English-only model heard did not decode as English."""
        if self.judged_s >= MIN_JUDGED_S and self.garbled_share > GARBLED_SHARE_MAX:
            raise UnsupportedLanguage(english_only_message(model, "This audio does not sound like English"))


def _name(code: str) -> str:
    name = snowball_name(code)  # "french": the stemmer tables already name most languages
    return name.capitalize() if name else f"another language ({code})"
