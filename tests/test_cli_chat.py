"""`recap chat` keeps the conversation going when one answer fails, in text and as JSON Lines."""

from __future__ import annotations

import io
import json
import sys

from adapters.cli.commands import main
from tests.support.claude_script import respond
from tests.support.fake_anthropic import FakeAnthropic, error, forced_tool, tool_use
from tests.support.recap import schema_validator
from tests.support.terminal import recap

LANGSTROTH = "In eighteen fifty one, Lorenzo Langstroth invented the modern hive with wooden frames."


class OneOutage:
    """Claude whose first answer is an outage (no retries: the settings allow none), then answers
    every question from the line about Langstroth; digests as the scripted Claude writes them."""

    def __init__(self) -> None:
        self.answers = 0

    def __call__(self, body: dict):
        if forced_tool(body) != "answer_question":
            return respond(body)
        self.answers += 1
        if self.answers == 1:
            return error(529, "overloaded_error", "Overloaded")
        citation = {"start": "[0:15]", "quote": LANGSTROTH}
        return tool_use("answer_question", {"answer": "The modern hive.", "grounded": True, "citations": [citation]})


def test_chat_goes_on_after_a_failed_answer(tmp_path, media_server, monkeypatch, capsys):
    url = media_server.url("site/bees.html")
    with FakeAnthropic(api_key="test-key", responder=OneOutage()) as fake:
        env = {
            "ANTHROPIC_API_KEY": "test-key",
            "RECAP_ANTHROPIC_BASE_URL": fake.base_url,
            "RECAP_CLAUDE_MAX_RETRIES": "0",
        }
        # Questions as a program would pipe them, one not even UTF-8; the empty line ends the chat.
        questions = b"How long does a worker live?\n\xffWhat did Langstroth invent?\n\nnever asked\n"
        ran = recap(tmp_path, "chat", url, "--json", stdin=questions, env=env)
        assert ran.code == 1, ran.err  # a question failed; trying again may well work
        digest, failed, answer = (json.loads(line) for line in ran.out.splitlines())
        schema_validator("digest").validate(digest)
        assert failed == {"question": "How long does a worker live?", "error": failed["error"], "status": 1}
        assert "overloaded" in failed["error"].lower() and f"recap: {failed['error']}" in ran.err
        schema_validator("answer").validate(answer)
        assert answer["question"] == "\ufffdWhat did Langstroth invent?" and answer["grounded"]
        assert [c["start_s"] for c in answer["citations"]] == [15.445]
        # The failed question is not part of the conversation the next one is asked in.
        assert "How long does a worker live?" not in json.dumps(fake.message_requests[-1].body)
        assert "never asked" not in json.dumps([r.body for r in fake.message_requests])

        # The same in the terminal's own words, the digest now from the store.
        monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'recap.sqlite3'}")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
        fake.responder = OneOutage()
        monkeypatch.setattr(sys, "stdin", io.StringIO("First?\nWhat did Langstroth invent?\n"))
        assert main(["chat", url]) == 1
        out, err = capsys.readouterr()
        assert "That question got no answer; ask it again or ask another." in out
        assert "The modern hive." in out.split("That question got no answer")[1]
        assert err.count("recap: ") == 1
