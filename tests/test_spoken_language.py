"""Speech the English-only bundled model cannot understand is refused with a clear message naming
RECAP_WHISPER_MODEL, never summarised as gibberish: refused before download when the page declares
its language, else judged from whisper's own statistics of the transcription.

French and Spanish speech: tests/fixtures/media/{phares,faros}.opus (espeak-ng, make_fixtures.py --foreign)."""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys

import pytest

from summarizer.errors import BadInput, UnsupportedLanguage
from summarizer.spoken_language import Intelligibility, check_declared
from summarizer.transcriber import BATCH, WhisperTranscriber
from tests.support.mediaserver import FIXTURES


def never(fraction: float) -> None:
    pass


# --- the judgement, on statistics ----------------------------------------------------------------


def test_english_statistics_pass():
    heard = Intelligibility()
    for _ in range(20):  # what tiny.en gives the English fixture talks: logprob -0.1 to -0.45, ratio ~1.5
        heard.add(4.5, -0.42, 1.6)
    heard.check("tiny.en")
    assert heard.garbled_share == 0


@pytest.mark.parametrize(
    "logprob, ratio",
    [
        (-0.25, 12.5),  # batched: "I'm not sure if I'm going to ..." over and over
        (-1.2, 1.0),  # sequential: a few fragments whisper barely believes
        (math.nan, math.nan),  # no statistics at all
    ],
)
def test_speech_that_did_not_decode_as_english_is_refused(logprob, ratio):
    heard = Intelligibility()
    heard.add(3.0, -0.3, 1.5)  # one good segment does not save the rest
    heard.add(29.0, logprob, ratio)
    with pytest.raises(UnsupportedLanguage) as refused:
        heard.check("tiny.en")
    message = str(refused.value)
    assert "RECAP_WHISPER_MODEL" in message and "large-v3" in message and "tiny.en" in message
    assert "\n" not in message


def test_nothing_heard_is_left_to_the_empty_transcript_check():
    heard = Intelligibility()
    heard.add(-3.0, -2.0, 9.0)  # a negative duration counts for nothing
    heard.check("tiny.en")


@pytest.mark.parametrize("declared", ["fr", "fr-FR", "es", "de_DE", "fra"])
def test_a_declared_language_an_english_model_cannot_hear_is_refused(declared):
    with pytest.raises(UnsupportedLanguage, match="RECAP_WHISPER_MODEL") as refused:
        check_declared(declared, english_only=True, model="tiny.en")
    assert isinstance(refused.value, BadInput)  # exit status 2: the same input will fail again


@pytest.mark.parametrize("declared", [None, "", "en", "en-US", "und", "x" * 500, "zxx"])
def test_english_or_unknown_declarations_go_ahead(declared):
    check_declared(declared, english_only=True, model="tiny.en")


def test_a_multilingual_model_hears_any_language():
    check_declared("fr", english_only=False, model="small")


def test_the_transcriber_refuses_a_declared_language_before_any_audio():
    transcriber = WhisperTranscriber(batch=0)
    with pytest.raises(UnsupportedLanguage, match="French"):
        transcriber.check_language("fr")
    transcriber.check_language("en")


# --- real speech, real tiny.en ---------------------------------------------------------------


@pytest.mark.parametrize("talk, batch", [("phares", BATCH), ("faros", 0)])
def test_french_and_spanish_speech_is_refused_in_either_mode(talk, batch):
    with pytest.raises(UnsupportedLanguage, match="does not sound like English"):
        WhisperTranscriber(batch=batch).transcribe(FIXTURES / "media" / f"{talk}.opus", None, never)


def test_english_speech_still_transcribes_sequentially():
    transcript = WhisperTranscriber(batch=0).transcribe(FIXTURES / "media" / "bees.opus", None, never)
    assert transcript.language == "en" and "honey" in transcript.text and len(transcript.segments) >= 12


def test_the_command_line_refuses_a_french_file_with_status_2_and_stores_nothing(tmp_path):
    database = tmp_path / "recap.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECAP_")}
    env["RECAP_DATABASE_URL"] = f"sqlite:///{database}"
    recap = os.path.join(os.path.dirname(sys.executable), "recap")
    done = subprocess.run(
        [recap, "summarize", str(FIXTURES / "media" / "phares.opus")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "does not sound like English" in done.stderr and "RECAP_WHISPER_MODEL" in done.stderr
    assert "Traceback" not in done.stderr and not done.stdout.strip()
    if database.exists():
        with sqlite3.connect(database) as db:
            for table in ("videos", "transcripts", "digests"):
                assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
