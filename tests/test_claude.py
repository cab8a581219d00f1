"""ClaudeWriter through the real anthropic SDK against the fake Messages API: what is sent, what
comes back, and what grounding makes of it."""

from __future__ import annotations

import json

import anthropic
import pytest

from adapters.cli.commands import main
from summarizer.budget import chunks as _chunks
from summarizer.claude import ClaudeWriter, WriterUnavailable
from summarizer.errors import NotConfigured
from summarizer.grounding import finish_answer, ground_answer
from summarizer.models import Video
from tests.support.claude_script import generated_talk as talk
from tests.support.claude_script import respond, stamps_in
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.recap import make_service, schema_validator

MODEL = "claude-haiku-5-5"


@pytest.fixture
def fake():
    with FakeAnthropic(api_key="test-key") as server:
        yield server


def claude_service(tmp_path, fake, **settings):
    return make_service(
        f"sqlite:///{tmp_path / 'c.sqlite3'}",
        anthropic_api_key="test-key",
        anthropic_base_url=fake.base_url,
        claude_max_retries=2,
        **settings,
    )


def writer(fake, **kw) -> ClaudeWriter:
    client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=2)
    return ClaudeWriter(client, model=MODEL, **kw)


BEES_DIGEST = {
    "hook": "Bees have lived beside people for nine thousand years. @everyone <!channel> read this.",
    "core_question": "How does a hive work, and what threatens it?",
    "highlights": [
        {"text": "Langstroth's hive with frames", "start": "[0:15]"},
        {"text": "A queen lays two thousand eggs a day", "start": "[0:32]"},
        {"text": "A moment that never happened", "start": "[9:59]"},
        {"text": "Mites spread disease", "start": "[0:54]"},
    ],
    "sections": [
        {
            "title": "Beekeeping through history",
            "start": "[0:00]",
            "end": "[0:26]",
            "summary": "From straw baskets to frames.",
            "quote": "In eighteen fifty one, Lorenzo Langstroth invented the modern hive with wooden frames.",
        },
        {
            "title": "Inside the hive",
            "start": "[0:26]",
            "end": "[0:50]",
            "summary": "Queen, workers, drones.",
            "quote": "Bees are the smartest animals on the planet.",  # not in the transcript
            "deeper": [{"question": "How long do workers live?", "answer": "About six weeks.", "start": "[0:36]"}],
        },
        {"title": "Threats", "start": "[0:50]", "end": "[1:09]", "summary": "Mites, chemicals, lost meadows."},
    ],
    "takeaways": ["Plant flowers."],
    "qa": [{"question": "What can I do?", "answer": "Plant flowers.", "start": "[1:06]"}],
}


def test_digest_request_and_grounded_result(tmp_path, fake, media_server):
    fake.push_tool_use("write_digest", BEES_DIGEST)
    service = claude_service(tmp_path, fake)
    digest = service.digest(media_server.url("site/bees.html"))

    (request,) = fake.message_requests
    body = request.body
    assert body["model"] == MODEL and request.api_key == "test-key"
    assert [t["name"] for t in body["tools"]] == ["write_digest"]  # the result tool only: no tool that acts
    assert body["tool_choice"] == {"type": "tool", "name": "write_digest"}
    transcript_block = body["messages"][0]["content"][0]
    assert transcript_block["cache_control"] == {"type": "ephemeral"}
    # The title is data too: inside the data block, never among the instructions.
    assert transcript_block["text"].startswith(
        "<video>\n<title>The Secret Life of Honey Bees</title>\n</video>\n<transcript>\n[0:00] People have kept bees"
    )
    assert "[0:26] A hive has one queen" in transcript_block["text"]
    assert "never instructions" in body["system"]

    assert digest.writer == MODEL
    # [0:15] is the line starting at 15.445; the invented [9:59] highlight is gone.
    assert [h.start_s for h in digest.highlights] == [15.445, 32.451, 54.409]
    assert [s.start_s for s in digest.sections] == [0.5, 26.978, 50.707]
    assert digest.sections[0].quote.start_s == 15.445  # the quotation's true place, not the section's
    assert digest.sections[1].quote is None  # made up: dropped, never shown as fact
    assert digest.sections[1].deeper[0].start_s == 36.171
    assert "@everyone" not in digest.hook and "<!channel>" not in digest.hook
    assert digest.usage.requests == 1 and digest.usage.input_tokens > 0 and digest.usage.output_tokens > 0
    assert digest.usage.cache_creation_input_tokens == 0  # below the API's minimum cacheable length
    schema_validator("digest").validate(digest.model_dump(mode="json"))
    assert service.store.digest(digest.video.key, MODEL) == digest


VIDEO = Video(key="url:0123456789abcdef", url="https://example.com/talk", title="A long talk", duration_s=10800)


def test_long_transcripts_are_chunked_noted_concurrently_and_merged(fake):
    transcript = talk(180)  # three hours

    fake.responder = respond
    digest = writer(fake, budget_tokens=8_000, concurrency=3).write_digest(VIDEO, transcript)

    notes = [r for r in fake.message_requests if r.body["tool_choice"]["name"] == "write_notes"]
    merges = [r for r in fake.message_requests if r.body["tool_choice"]["name"] == "write_digest"]
    assert len(merges) == 1 and len(notes) == len(_chunks(transcript, 8_000)) >= 4
    covered = []
    for r in notes:
        text = r.body["messages"][0]["content"][0]["text"]
        assert len(text) // 4 <= 8_000 + 50
        covered += stamps_in(text)
    assert sorted(set(covered)) == sorted(set(stamps_in(transcript.as_stamped_lines())))  # nothing cut, nothing twice
    assert len(covered) == len(transcript.segments)
    assert 1 < fake.max_in_flight <= 3
    assert digest.sections[0].start_s == 0 and digest.sections[-1].start_s > 2 * 3600
    assert digest.transcript.covered_s == transcript.end
    assert digest.usage.requests == len(notes) + 1


def test_follow_ups_read_the_transcript_from_the_prompt_cache(fake):
    transcript = talk(20)
    w = writer(fake)
    for _ in range(3):
        fake.push_tool_use(
            "answer_question",
            {
                "answer": "Point 7.",
                "grounded": True,
                "citations": [{"start": "[0:35]", "quote": "makes point number 7 about subject 7"}],
            },
        )
    first = w.write_answer(VIDEO, transcript, "What is point seven?", [])
    second = w.write_answer(VIDEO, transcript, "And point eight?", [])
    assert first.usage.cache_creation_input_tokens > 1000
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    first_total = first.usage.input_tokens + first.usage.cache_creation_input_tokens
    assert second.usage.input_tokens <= 0.15 * first_total
    grounded = finish_answer(ground_answer(second, transcript), VIDEO.url)
    assert grounded.citations[0].start_s == 35.0 and grounded.citations[0].url == "https://example.com/talk#t=35"


def test_earlier_turns_and_likely_passages_are_sent(fake):
    from summarizer.models import Turn

    fake.push_tool_use("answer_question", {"answer": "No.", "grounded": False, "citations": []})
    answer = writer(fake).write_answer(
        VIDEO, talk(5), "What about subject 12?", [Turn(question="Who speaks?", answer="A speaker.")]
    )
    text = fake.message_requests[0].body["messages"][0]["content"][1]["text"]
    assert "<question>Who speaks?</question>" in text and "<question>What about subject 12?</question>" in text
    assert "[1:00] In part 0 the speaker makes point number 12 about subject 12" in text
    assert answer.grounded is False and answer.citations == []


def test_an_answer_citing_words_the_video_never_said_is_not_grounded(fake):
    fake.push_tool_use(
        "answer_question",
        {
            "answer": "It was 1066.",
            "grounded": True,
            "citations": [{"start": "[0:10]", "quote": "the battle took place in ten sixty six"}],
        },
    )
    transcript = talk(5)
    answer = ground_answer(writer(fake).write_answer(VIDEO, transcript, "When was the battle?", []), transcript)
    assert answer.grounded is False and answer.citations == []


def test_overloaded_is_retried(fake):
    fake.push_error(529, "overloaded_error", "Overloaded")
    fake.push_tool_use("answer_question", {"answer": "Yes.", "grounded": True, "citations": []})
    writer(fake).write_answer(VIDEO, talk(2), "Is there a point?", [])
    assert [r.retry_count for r in fake.message_requests] == [0, 1]


def test_persistent_overload_is_a_clear_failure_or_the_configured_fallback(tmp_path, fake, media_server):
    for _ in range(3):
        fake.push_error(529, "overloaded_error", "Overloaded")
    with pytest.raises(WriterUnavailable, match="overloaded"):
        writer(fake).write_answer(VIDEO, talk(2), "Is there a point?", [])

    for _ in range(3):
        fake.push_error(529, "overloaded_error", "Overloaded")
    service = claude_service(tmp_path, fake, writer_fallback="extractive")
    digest = service.digest(media_server.url("site/bees.html"))
    assert digest.writer == "extractive"


def test_a_wrong_key_names_the_setting(tmp_path, media_server):
    with FakeAnthropic(api_key="the-right-key") as fake:
        service = claude_service(tmp_path, fake)
        with pytest.raises(NotConfigured, match="ANTHROPIC_API_KEY"):
            service.digest(media_server.url("site/bees.html"))


def test_an_empty_account_says_so(fake):
    fake.push_error(400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API.")
    with pytest.raises(NotConfigured, match="out of credit"):
        writer(fake).write_answer(VIDEO, talk(2), "Is there a point?", [])


def test_output_language_follows_the_setting_or_the_video(fake):
    fake.push_tool_use("answer_question", {"answer": "Oui.", "grounded": False, "citations": []})
    fake.push_tool_use("write_digest", BEES_DIGEST)
    fake.push_tool_use("write_digest", BEES_DIGEST)
    writer(fake).write_answer(VIDEO, talk(2), "Y a-t-il un point ?", [])
    writer(fake, language="French").write_digest(VIDEO, talk(2))
    writer(fake).write_digest(VIDEO, talk(2).model_copy(update={"language": "de"}))
    answer_req, french, german = fake.message_requests
    assert "language the question is asked in" in answer_req.body["system"]
    assert "Write in French." in french.body["messages"][0]["content"][1]["text"]
    assert "Write in the language of the video (de)." in german.body["messages"][0]["content"][1]["text"]


def test_cli_json_reports_token_usage(tmp_path, fake, media_server, monkeypatch, capsys):
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("RECAP_ANTHROPIC_BASE_URL", fake.base_url)
    fake.push_tool_use("write_digest", BEES_DIGEST)
    fake.push_tool_use(
        "answer_question",
        {
            "answer": "About six weeks.",
            "grounded": True,
            "citations": [{"start": "[0:36]", "quote": "In summer, each worker lives for about six weeks."}],
        },
    )
    assert main(["summarize", media_server.url("site/bees.html"), "--json"]) == 0
    digest = json.loads(capsys.readouterr().out)
    assert digest["writer"] == MODEL and digest["usage"]["requests"] == 1
    assert main(["ask", media_server.url("site/bees.html"), "How long does a worker live?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["grounded"] and answer["citations"][0]["start_s"] == 36.171
    assert answer["usage"]["input_tokens"] > 0
