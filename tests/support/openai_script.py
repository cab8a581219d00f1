"""A scripted self-hosted model for FakeOpenAI, and the writer under test: answers each request in
the form it asked for (a function call, a json_schema reply or plain JSON), the way a model that
follows instructions would, so long-video tests need no queue."""

from __future__ import annotations

from typing import Any

import openai

from summarizer.openai_writer import OpenAIWriter
from tests.support.claude_script import scripted_digest, scripted_notes
from tests.support.fake_openai import FakeOpenAI, Reply, structured, user_text, wanted

MODEL = "llama3.1:8b"


def openai_writer(fake: FakeOpenAI, *, key: str = "unused", retries: int = 0, timeout: float = 10, **kw: Any):
    client = openai.OpenAI(api_key=key, base_url=fake.base_url, max_retries=retries, timeout=timeout)
    return OpenAIWriter(client, model=MODEL, timeout_s=timeout, **kw)


def data_and_instruction(body: dict[str, Any]) -> tuple[str, str]:
    """The escaped data and recap's own words of a request (the user message is data, a blank line, words)."""
    data, _, instruction = user_text(body).rpartition("\n\n")
    return data, instruction


def result_name(body: dict[str, Any]) -> str:
    """What the request asks for, also when it asks in prose (plain JSON mode names no function)."""
    name = wanted(body)
    if name:
        return name
    system = body["messages"][0]["content"]
    return (
        "write_notes"
        if system.startswith("You take notes")
        else "answer_question"
        if "question" in system[:40]
        else "write_digest"
    )


def respond(body: dict[str, Any], delay: float = 0.0) -> Reply:
    """write_notes: one section per chunk; write_digest: six sections spread over the notes or lines."""
    data, _ = data_and_instruction(body)
    if result_name(body) == "write_notes":
        return structured(body, "write_notes", scripted_notes(data), delay=delay)
    return structured(body, "write_digest", scripted_digest(data), delay=delay)
