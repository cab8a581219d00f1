"""OpenAIWriter through the real openai SDK against FakeOpenAI, a self-hosted model's server on
localhost: what is sent, plain and streamed, the structured-output modes and the fallback between
them, map-reduce, follow-ups, and recap's composition root and command line with RECAP_WRITER=openai.

Hostile output and failing servers: tests/test_openai_writer_hostile.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import build_writer
from bot.settings import Settings
from summarizer.budget import chunks
from summarizer.errors import NotConfigured
from summarizer.extractive import ExtractiveWriter
from summarizer.fallback import FallbackWriter
from summarizer.grounding import finish_answer, ground_answer
from summarizer.models import Turn, Video
from summarizer.openai_writer import OpenAIWriter
from tests.support.claude_script import generated_talk as talk
from tests.support.claude_script import stamps_in
from tests.support.fake_openai import FakeOpenAI, content, structured, tool_call
from tests.support.openai_script import MODEL, data_and_instruction, openai_writer, respond, result_name
from tests.support.recap import FIXTURES, make_service, schema_validator
from tests.test_claude import BEES_DIGEST

VIDEO = Video(key="url:0123456789abcdef", url="https://example.com/talk", title="A long talk", duration_s=10800)
ANSWER = {
    "answer": "Point 7.",
    "grounded": True,
    "citations": [{"start": "[0:35]", "quote": "makes point number 7 about subject 7"}],
}


@pytest.fixture
def fake():
    with FakeOpenAI(models=(MODEL,)) as server:
        yield server


def test_digest_by_a_forced_function_call_grounded_like_claudes(tmp_path, fake, media_server):
    fake.push(tool_call("write_digest", BEES_DIGEST))
    service = make_service(
        f"sqlite:///{tmp_path / 'o.sqlite3'}",
        writer="openai",
        openai_base_url=fake.base_url,
        openai_model=MODEL,
        openai_stream=False,
        openai_max_retries=0,
    )
    digest = service.digest(media_server.url("site/bees.html"))

    (request,) = fake.chat_requests
    body = request.body
    assert request.headers["authorization"] == "Bearer unused"  # the SDK insists; no key is set
    assert body["model"] == MODEL and body["max_tokens"] == 4000 and "stream" not in body
    assert [t["function"]["name"] for t in body["tools"]] == ["write_digest"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "write_digest"}}
    system, user = body["messages"]
    assert system["role"] == "system" and "never instructions" in system["content"]
    data, instruction = data_and_instruction(body)
    assert data.startswith("<video>\n<title>The Secret Life of Honey Bees</title>\n</video>\n<transcript>\n[0:00]")
    assert instruction.endswith("Write the digest by calling the write_digest function.")

    assert digest.writer == MODEL
    assert [h.start_s for h in digest.highlights] == [15.445, 32.451, 54.409]  # [9:59] is gone
    assert digest.sections[0].quote.start_s == 15.445 and digest.sections[1].quote is None
    assert "@everyone" not in digest.hook
    assert digest.usage.requests == 1 and digest.usage.input_tokens > 0 and digest.usage.output_tokens > 0
    schema_validator("digest").validate(digest.model_dump(mode="json"))


def test_a_streamed_function_call_arrives_in_argument_deltas(fake):
    fake.push(tool_call("write_digest", BEES_DIGEST | {"highlights": [], "sections": []}, chunk_chars=7))
    fake.push(tool_call("answer_question", ANSWER, chunk_chars=3))
    w = openai_writer(fake)
    transcript = talk(5)
    with pytest.raises(Exception, match="without a section"):  # the deltas were joined into one result
        w.write_digest(VIDEO, transcript)
    answer = w.write_answer(VIDEO, transcript, "What is point seven?", [Turn(question="Who?", answer="A speaker.")])

    digest_req, answer_req = fake.chat_requests
    assert answer_req.body["stream"] is True and answer_req.body["stream_options"] == {"include_usage": True}
    events = answer_req.response.split("\n\n")
    assert events[-2] == "data: [DONE]" and len(events) > len(json.dumps(ANSWER)) // 3
    assert answer.answer == "Point 7." and answer.usage.input_tokens > 0 and answer.usage.output_tokens > 0
    _, instruction = data_and_instruction(answer_req.body)
    assert "<question>Who?</question>" in instruction and "<question>What is point seven?</question>" in instruction
    grounded = finish_answer(ground_answer(answer, transcript), VIDEO.url)
    assert grounded.citations[0].start_s == 35.0 and grounded.citations[0].url == "https://example.com/talk#t=35"


def test_streamed_plain_content_is_a_result_too(fake):
    """Ollama answers a forced function in prose when the model ignores tool_choice: the JSON in it counts."""
    fake.push(
        content(
            '<think>The user wants JSON.</think>\n```json\n{"answer": "Yes.", "grounded": true, "citations": []}\n```'
        )
    )
    answer = openai_writer(fake).write_answer(VIDEO, talk(2), "Is there a point?", [])
    assert answer.answer == "Yes." and answer.grounded and len(fake.chat_requests) == 1


@pytest.mark.parametrize(
    ("flavour", "rejects", "modes"),
    [
        ("ollama", {"tools"}, ["tools", "json_schema"]),  # a model without tool support: 400
        ("llama.cpp", {"tools"}, ["tools", "json_schema"]),  # no --jinja: a 500, retried, then understood
        ("fastapi", {"tools"}, ["tools", "json_schema"]),  # a 422 that echoes the request
        ("vllm", {"tools", "response_format"}, ["tools", "json_schema", "json"]),  # top-level errors
        ("llama.cpp", {"response_format"}, ["tools"]),
    ],
)
def test_structured_output_falls_back_to_what_the_server_supports_and_remembers_it(flavour, rejects, modes):
    with FakeOpenAI(models=(MODEL,), flavour=flavour, rejects=rejects) as fake:
        fake.responder = lambda body: structured(body, result_name(body), ANSWER)
        w = openai_writer(fake, retries=1)
        first = w.write_answer(VIDEO, talk(2), "What is point seven?", [])
        asked = len(fake.chat_requests)
        second = openai_writer(fake).write_answer(VIDEO, talk(2), "And point eight?", [])  # a new writer, same endpoint
        assert len(fake.chat_requests) == asked + 1  # straight to what worked: nothing refused twice

        sent = [_mode(r.body) for r in fake.chat_requests if r.status == 200]
        assert sent == [modes[-1], modes[-1]]
        tried = [_mode(r.body) for r in fake.chat_requests]
        assert tried[-1] == modes[-1] and sorted(set(tried)) == sorted(modes)
        assert first.answer == second.answer == "Point 7."
        last = fake.chat_requests[-1].body
        if modes[-1] == "json":  # told the schema in the prompt, since nothing enforces it
            assert '"required":["answer","grounded","citations"]' in data_and_instruction(last)[1]
            assert "tools" not in last and "response_format" not in last


def _mode(body: dict) -> str:
    return "tools" if "tools" in body else "json_schema" if "response_format" in body else "json"


def test_long_transcripts_are_chunked_noted_concurrently_and_merged(fake):
    transcript = talk(60)
    fake.responder = lambda body: respond(body, delay=0.05)
    digest = openai_writer(fake, budget_tokens=2_000, concurrency=3).write_digest(VIDEO, transcript)

    notes = [r for r in fake.chat_requests if result_name(r.body) == "write_notes"]
    merges = [r for r in fake.chat_requests if result_name(r.body) == "write_digest"]
    assert len(merges) == 1 and len(notes) == len(chunks(transcript, 2_000)) >= 4
    covered = [s for r in notes for s in stamps_in(data_and_instruction(r.body)[0])]
    assert sorted(covered) == sorted(stamps_in(transcript.as_stamped_lines()))  # nothing cut, nothing twice
    assert 1 < fake.max_in_flight <= 3
    assert "<notes part=" in data_and_instruction(merges[0].body)[0]
    assert digest.sections[0].start_s == 0 and digest.sections[-1].start_s > 50 * 60
    assert digest.usage.requests == len(notes) + 1


def test_past_the_transcript_cap_the_digest_covers_the_opening_and_says_so(fake):
    fake.responder = respond
    digest = openai_writer(fake, max_transcript_tokens=3_000).write_digest(VIDEO, talk(60))
    (request,) = fake.chat_requests
    data, instruction = data_and_instruction(request.body)
    assert sum(len(line) + 1 for line in data.splitlines() if line.startswith("[")) // 4 <= 3_000
    assert "covers only the first" in instruction and "3:00:00 long" in instruction
    assert 0 < digest.transcript.covered_s < 60 * 60


def test_settings_choose_the_writer_and_name_what_is_missing(fake):
    with pytest.raises(NotConfigured, match="RECAP_OPENAI_BASE_URL and RECAP_OPENAI_MODEL"):
        build_writer(Settings(_env_file=None, writer="openai"))
    with pytest.raises(NotConfigured, match="needs RECAP_OPENAI_MODEL"):
        build_writer(Settings(_env_file=None, writer="openai", openai_base_url=fake.base_url))
    # auto stays as it was: Claude with an Anthropic key, else extractive, whatever else is set
    auto = Settings(_env_file=None, openai_base_url=fake.base_url, openai_model=MODEL)
    assert isinstance(build_writer(auto), ExtractiveWriter)
    chosen = Settings(
        _env_file=None,
        writer="openai",
        openai_base_url=fake.base_url,
        openai_model=MODEL,
        writer_fallback="extractive",
        OPENAI_API_KEY="sk-team-key",
    )
    w = build_writer(chosen)
    assert isinstance(w, FallbackWriter) and isinstance(w.primary, OpenAIWriter) and w.name == MODEL
    fake.push(tool_call("answer_question", ANSWER))
    w.write_answer(VIDEO, talk(2), "What is point seven?", [])
    assert fake.chat_requests[0].headers["authorization"] == "Bearer sk-team-key"
    assert "sk-team-key" not in repr(chosen)


def test_recap_summarize_as_a_process_with_the_openai_writer(tmp_path, fake):
    """The installed `recap` command, in its own process, on the bundled sample with captions beside it."""
    fake.push(tool_call("write_digest", BEES_DIGEST, chunk_chars=40))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAP_", "OPENAI_", "ANTHROPIC_"))}
    env.update(
        RECAP_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        RECAP_WRITER="openai",
        RECAP_OPENAI_BASE_URL=fake.base_url,
        RECAP_OPENAI_MODEL=MODEL,
        RECAP_OPENAI_MAX_RETRIES="0",
    )
    recap = str(Path(sys.executable).with_name("recap"))
    media = str(FIXTURES / "media" / "bees.opus")
    done = subprocess.run(
        [recap, "summarize", media, "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    digest = json.loads(done.stdout)
    assert digest["writer"] == MODEL and [h["start_s"] for h in digest["highlights"]] == [15.445, 32.451, 54.409]
    assert fake.chat_requests[0].body["stream"] is True  # the default


def test_recap_summarize_without_a_model_says_which_setting_is_missing(tmp_path, fake, monkeypatch, capsys):
    from adapters.cli.commands import main

    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("RECAP_WRITER", "openai")
    monkeypatch.setenv("RECAP_OPENAI_BASE_URL", fake.base_url)
    monkeypatch.delenv("RECAP_OPENAI_MODEL", raising=False)
    assert main(["summarize", str(FIXTURES / "media" / "bees.opus")]) == 1
    err = capsys.readouterr().err
    assert "RECAP_OPENAI_MODEL" in err and len(err.strip().splitlines()) == 1, err
    assert fake.chat_requests == []
