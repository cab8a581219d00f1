"""The cap on transcript tokens one digest may send Claude: past it the digest covers the first part
of the video and says so, in `transcript.covered_s` and in what Claude is asked to write.

The real ClaudeWriter against the fake Messages API, which counts input tokens as the API would
bill them (here: four characters a token).
"""

from __future__ import annotations

import anthropic
import pytest

from summarizer.claude import ClaudeWriter
from summarizer.models import Segment, Transcript, Video, clock
from tests.support.claude_script import generated_talk, respond, stamps_in
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.recap import make_service, schema_validator

MODEL = "claude-haiku-5-5"
THREE_HOURS = Video(key="url:0123456789abcdef", url="https://example.com/talk", title="A long talk", duration_s=10800)


@pytest.fixture
def fake():
    with FakeAnthropic(api_key="test-key") as server:
        server.responder = respond
        yield server


def claude(fake, **kw) -> ClaudeWriter:
    client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=0)
    return ClaudeWriter(client, model=MODEL, **kw)


def transcript_tokens(request) -> int:
    """Tokens of transcript lines a request carried (as the fake counts them: characters / 4)."""
    data = request.body["messages"][0]["content"][0]["text"]
    return sum(len(line) + 1 for line in data.splitlines() if line.startswith("[")) // 4


def test_a_long_transcript_past_the_cap_is_digested_in_part_and_says_so(fake):
    talk = generated_talk(180)  # about 65,000 tokens of transcript
    cap = 20_000
    digest = claude(fake, budget_tokens=8_000, max_transcript_tokens=cap).write_digest(THREE_HOURS, talk)

    notes = [r for r in fake.message_requests if r.body["tool_choice"]["name"] == "write_notes"]
    (merge,) = [r for r in fake.message_requests if r.body["tool_choice"]["name"] == "write_digest"]
    sent = sum(transcript_tokens(r) for r in notes)
    assert 0.8 * cap < sent <= cap  # what was sent stayed under the cap, and used most of it
    billed = sum(r.usage["input_tokens"] for r in notes)
    overhead = len(notes) * 1500  # the tools, the system prompt and the instructions of each request
    assert billed <= cap + overhead

    stamps = [s for r in notes for s in stamps_in(r.body["messages"][0]["content"][0]["text"])]
    first_part = talk.segments[: len(stamps)]
    # The opening of the video, every line once (the chunks are noted concurrently, in any order).
    assert sorted(stamps) == sorted(stamps_in(Transcript(segments=first_part, source="whisper").as_stamped_lines()))
    assert digest.transcript.covered_s == first_part[-1].end < talk.end / 2
    assert digest.transcript.segments == len(first_part)
    instructions = merge.body["messages"][0]["content"][1]["text"]
    assert f"covers only the first {clock(first_part[-1].end)}" in instructions
    assert "3:00:00 long" in instructions


def test_a_short_cap_sends_one_request_for_the_opening(fake):
    talk = generated_talk(60)
    digest = claude(fake, max_transcript_tokens=3_000).write_digest(THREE_HOURS, talk)
    (request,) = fake.message_requests
    assert transcript_tokens(request) <= 3_000
    assert 0 < digest.transcript.covered_s < talk.end
    assert "covers only the first" in request.body["messages"][0]["content"][1]["text"]


def test_under_the_cap_nothing_is_cut(fake):
    talk = generated_talk(30)
    digest = claude(fake, max_transcript_tokens=400_000).write_digest(THREE_HOURS, talk)
    (request,) = fake.message_requests
    assert stamps_in(request.body["messages"][0]["content"][0]["text"]) == stamps_in(talk.as_stamped_lines())
    assert "covers only" not in request.body["messages"][0]["content"][1]["text"]
    assert digest.transcript.covered_s == talk.end


def test_scripts_that_take_more_tokens_a_character_are_capped_by_tokens_not_characters(fake):
    # Japanese runs about a token a character, not four characters a token: counting characters would
    # send four times what the cap allows.
    line = "ミツバチは花の場所を仲間にダンスで伝えます。"
    talk = Transcript(
        segments=[Segment(start=i * 5.0, end=i * 5.0 + 4.5, text=line) for i in range(2000)],
        source="captions",
        language="ja",
    )
    claude(fake, max_transcript_tokens=10_000, budget_tokens=50_000).write_digest(THREE_HOURS, talk)
    (request,) = fake.message_requests
    characters = sum(
        len(s) for s in request.body["messages"][0]["content"][0]["text"].splitlines() if s.startswith("[")
    )
    assert characters <= 10_000


def test_the_setting_reaches_the_writer_and_the_digest_reports_its_coverage(tmp_path, fake, media_server):
    service = make_service(
        f"sqlite:///{tmp_path / 'cap.sqlite3'}",
        anthropic_api_key="test-key",
        anthropic_base_url=fake.base_url,
        claude_max_retries=0,
        claude_max_transcript_tokens=120,
    )
    digest = service.digest(media_server.url("site/bees.html"))
    (request,) = fake.message_requests
    assert transcript_tokens(request) <= 120
    assert digest.transcript.covered_s < 0.95 * digest.video.duration_s
    schema_validator("digest").validate(digest.model_dump(mode="json"))
