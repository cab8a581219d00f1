"""FakeOpenAI speaks the wire format the openai SDK expects: its own parsers (the stream helper that
accumulates tool-call deltas, models.list, its error classes) read what the fake sends."""

from __future__ import annotations

import json

import openai
import pytest

from tests.support.fake_openai import FakeOpenAI, content, tool_call

MODEL = "qwen2.5:7b"
TOOL = {"type": "function", "function": {"name": "record", "parameters": {"type": "object"}}}
FORCED = {"type": "function", "function": {"name": "record"}}


@pytest.fixture
def fake():
    with FakeOpenAI(models=(MODEL,)) as server:
        yield server


def client(fake: FakeOpenAI, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=fake.base_url, max_retries=0)


def test_the_sdks_stream_helper_accumulates_tool_call_deltas_and_usage(fake):
    arguments = {"hook": "Bees & <flowers>", "items": list(range(40))}
    fake.push(tool_call("record", arguments, chunk_chars=5))
    with client(fake).chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "hi"}],
        tools=[TOOL],
        tool_choice=FORCED,
        stream_options={"include_usage": True},
    ) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls
    assert call.function.name == "record" and call.id.startswith("call_")
    assert json.loads(call.function.arguments) == arguments
    assert final.choices[0].finish_reason == "tool_calls" and final.usage.completion_tokens > 0
    assert fake.chat_requests[0].response.count("data: ") > 20


def test_models_are_listed_and_an_unknown_one_is_ollamas_404(fake):
    assert [m.id for m in client(fake).models.list()] == [MODEL]
    with pytest.raises(openai.NotFoundError, match="not found, try pulling it first"):
        client(fake).chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"messages": []},
        {"messages": [{"role": "robot", "content": "hi"}]},
        {"messages": [{"role": "user", "content": "hi"}], "tool_choice": FORCED},  # no tools offered
        {
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [TOOL],
            "tool_choice": {**FORCED, "function": {"name": "other"}},
        },
        {
            "messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x"}},
        },
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0},
    ],
)
def test_malformed_requests_are_400s_and_use_up_nothing(fake, kwargs):
    fake.push(content("kept"))
    with pytest.raises(openai.BadRequestError):
        client(fake).chat.completions.create(model=MODEL, **kwargs)
    assert fake.pending == 1


def test_a_key_is_checked_only_when_the_server_has_one():
    with FakeOpenAI(models=(MODEL,), api_key="sk-right") as fake:
        with pytest.raises(openai.AuthenticationError):
            client(fake, key="sk-wrong").models.list()
        assert [m.id for m in client(fake, key="sk-right").models.list()] == [MODEL]


def test_max_tokens_cuts_the_reply_and_says_length(fake):
    fake.push(content("word " * 100))
    done = client(fake).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    assert done.choices[0].finish_reason == "length" and done.choices[0].message.content == ("word " * 100)[:20]


def test_a_call_of_a_function_the_request_did_not_offer_is_a_script_problem(fake):
    fake.push(tool_call("record", {}))
    with pytest.raises(openai.InternalServerError):
        client(fake).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert fake.problems == ["scripted a call of 'record'; the request offered []"]
    fake.problems.clear()
