"""Captions beside a local media file are found whatever characters the file's name holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from summarizer.localfile import sidecar_captions

FIXTURES = Path(__file__).parent / "fixtures" / "media"


@pytest.mark.parametrize("stem", ["talk [x]", "talk*", "a**b", "talk?", "[!t]alk"])
def test_captions_beside_a_file_whose_name_looks_like_a_pattern_are_found(tmp_path, stem):
    media = tmp_path / f"{stem}.opus"
    shutil.copy(FIXTURES / "bees.opus", media)
    shutil.copy(FIXTURES / "bees.en.vtt", tmp_path / f"{stem}.en.vtt")
    transcript = sidecar_captions(media)
    assert transcript is not None and transcript.source == "captions" and transcript.language == "en"
    assert "bees" in transcript.text.lower()


def test_another_files_captions_are_not_taken_for_a_name_that_reads_as_a_pattern(tmp_path):
    shutil.copy(FIXTURES / "bees.opus", tmp_path / "talk[12].opus")
    shutil.copy(FIXTURES / "bees.en.vtt", tmp_path / "talk1.en.vtt")  # what "talk[12]*" matches as a pattern
    assert sidecar_captions(tmp_path / "talk[12].opus") is None
