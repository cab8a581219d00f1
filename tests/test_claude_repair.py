"""A Claude result that grounding would gut is repaired, or refused as the writer's failure: never a
pydantic ValidationError, which front ends can only report as a bad setting.

The real ClaudeWriter and Summarizer, the real anthropic SDK against the fake Messages API, the bees
fixture fetched by yt-dlp from the local media server.
"""

from __future__ import annotations

import copy

import anthropic
import pytest

from summarizer.claude import ClaudeWriter
from summarizer.errors import RecapError, WriterFailed
from summarizer.models import Video
from summarizer.pipeline import Summarizer
from tests.support.claude_script import generated_talk
from tests.support.fake_anthropic import FakeAnthropic, tool_use
from tests.support.recap import make_service, schema_validator, sentence_starts

MODEL = "claude-haiku-5-5"
BEES_DIGEST = {  # lines of the bees fixture: [0:00] to [1:06]
    "hook": "Bees have lived beside people for nine thousand years.",
    "core_question": "How does a hive work, and what threatens it?",
    "highlights": [
        {"text": "Langstroth's hive", "start": "[0:15]"},
        {"text": "The queen", "start": "[0:32]"},
        {"text": "Mites", "start": "[0:54]"},
    ],
    "sections": [
        {"title": "Beekeeping through history", "start": "[0:00]", "end": "[0:26]", "summary": "Baskets to frames."},
        {"title": "Inside the hive", "start": "[0:26]", "end": "[0:50]", "summary": "Queen, workers, drones."},
        {"title": "Threats", "start": "[0:50]", "end": "[1:09]", "summary": "Mites, chemicals, lost meadows."},
    ],
    "takeaways": ["Plant flowers."],
    "qa": [{"question": "What can I do?", "answer": "Plant flowers.", "start": "[1:06]"}],
}
NOWHERE = [  # stamps no line carries: past the end of a 69-second talk, or in no valid form at all
    {"text": "The queen's secret", "start": "[9:59]"},
    {"text": "A dance at dawn", "start": "[12:00]"},
    {"text": "Where honey comes from", "start": "soon"},
]


@pytest.fixture
def fake():
    with FakeAnthropic(api_key="test-key") as server:
        yield server


def service(tmp_path, fake):
    return make_service(
        f"sqlite:///{tmp_path / 'r.sqlite3'}",
        anthropic_api_key="test-key",
        anthropic_base_url=fake.base_url,
        claude_max_retries=0,
    )


def test_highlights_that_all_point_nowhere_are_filled_from_the_transcript(tmp_path, fake, media_server):
    fake.push_tool_use("write_digest", {**BEES_DIGEST, "highlights": NOWHERE})
    digest = service(tmp_path, fake).digest(media_server.url("site/bees.html"))

    assert digest.writer == MODEL  # the writer's hook, sections and takeaways are kept...
    assert digest.hook.startswith("Bees have lived beside people")
    assert [s.title for s in digest.sections] == ["Beekeeping through history", "Inside the hive", "Threats"]
    assert 1 <= len(digest.highlights) <= 6  # ...and the highlights are the transcript's own moments
    assert {h.start_s for h in digest.highlights} <= set(sentence_starts("bees"))
    assert all(h.url and h.url.endswith(f"#t={int(h.start_s)}") for h in digest.highlights)
    schema_validator("digest").validate(digest.model_dump(mode="json"))


def test_sections_that_all_point_nowhere_are_the_writers_failure(tmp_path, fake, media_server, monkeypatch, capsys):
    broken = copy.deepcopy(BEES_DIGEST)
    for section, stamp in zip(broken["sections"], ("[7:00]", "[8:00]", "[9:00]")):
        section["start"] = stamp
    fake.push_tool_use("write_digest", broken)
    with pytest.raises(WriterFailed, match=f"{MODEL} writer") as caught:
        service(tmp_path, fake).digest(media_server.url("site/bees.html"))
    assert "section" in str(caught.value)

    # On the command line: the writer's failure (exit status 1), not "a setting is invalid" (2).
    from adapters.cli.commands import main

    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("RECAP_ANTHROPIC_BASE_URL", fake.base_url)
    fake.push_tool_use("write_digest", broken)
    assert main(["summarize", media_server.url("site/bees.html")]) == 1
    err = capsys.readouterr().err
    assert f"{MODEL} writer" in err and "setting" not in err


VIDEO = Video(key="url:0123456789abcdef", url="https://example.com/talk", title="A talk", duration_s=600)


@pytest.mark.parametrize(
    "result",
    [
        # A model that ignored the tool's schema: the API does not enforce it, so neither may recap assume it.
        {
            "hook": 42,
            "core_question": "Why?",
            "highlights": "[0:05]",
            "sections": [{"start": "[0:05]"}],
            "takeaways": [None],
        },
        {"hook": "", "core_question": "", "highlights": [], "sections": [], "takeaways": [], "qa": []},
        {
            "hook": "A talk.",
            "core_question": "What?",
            "highlights": [],
            "sections": [{"title": "All", "start": "[0:00]", "end": "[1:00]", "summary": "Points."}],
            "takeaways": "not a list",
        },
        {},
    ],
)
def test_a_result_that_is_no_digest_is_a_writer_error_not_a_validation_error(fake, result):
    fake.push(tool_use("write_digest", result, check=False))
    client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=0)
    summarizer = Summarizer(None, None, ClaudeWriter(client, model=MODEL))  # digest() needs no fetching
    with pytest.raises(RecapError, match=f"{MODEL} writer") as caught:
        summarizer.digest(VIDEO, generated_talk(2))
    assert isinstance(caught.value, WriterFailed)


def test_malformed_parts_are_dropped_and_the_rest_kept(fake):
    talk = generated_talk(2)
    fake.push(
        tool_use(
            "write_digest",
            {
                "hook": "  A talk of points.  ",
                "core_question": "Which points?",
                "highlights": [{"text": "", "start": "[0:05]"}, "[0:10]", {"text": "Point two", "start": "[0:10]"}],
                "sections": [
                    {
                        "title": "",
                        "start": "[0:00]",
                        "end": "[1:00]",
                        "summary": "Points.",
                        "deeper": [{"question": "Why?"}, {"question": "How?", "answer": "Like so.", "start": 7}],
                    },
                    {"title": "Nothing", "start": "[0:30]"},
                ],
                "takeaways": ["Points matter.", 3, "  "],
                "qa": [{"question": "Q?", "answer": ""}],
            },
            check=False,
        )
    )
    client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=0)
    digest = Summarizer(None, None, ClaudeWriter(client, model=MODEL)).digest(VIDEO, talk)
    assert digest.hook == "A talk of points." and digest.takeaways == ["Points matter."] and digest.qa == []
    assert [(h.text, h.start_s) for h in digest.highlights] == [("Point two", 10.0)]
    (section,) = digest.sections
    assert section.title == "From 0:00" and [q.question for q in section.deeper] == ["How?"]


def test_an_empty_answer_is_the_writers_failure(fake):
    fake.push(tool_use("answer_question", {"answer": " ", "grounded": True, "citations": []}, check=False))
    client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=0)
    with pytest.raises(WriterFailed, match=f"{MODEL} writer"):
        Summarizer(None, None, ClaudeWriter(client, model=MODEL)).answer(VIDEO, generated_talk(2), "What?")
