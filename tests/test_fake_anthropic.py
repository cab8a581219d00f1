"""The fake Messages API, driven by the real anthropic SDK over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import anthropic
import pytest
from anthropic.types import TextBlock, ToolUseBlock

from tests.support.fake_anthropic import (
    FakeAnthropic,
    Reply,
    error,
    forced_tool,
    last_user_text,
    text,
    tool_use,
)

MODEL = "claude-sonnet-5"
DIGEST_TOOL = {
    "name": "write_digest",
    "description": "Record the digest of a video.",
    "input_schema": {
        "type": "object",
        "properties": {
            "hook": {"type": "string"},
            "points": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["hook", "points"],
    },
}
TRANSCRIPT = "[00:00] Bees dance to tell each other where the flowers are. " * 160  # ~9.6k chars


@pytest.fixture
def fake():
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def client(fake):
    with anthropic.Anthropic(base_url=fake.base_url, api_key="test-key", max_retries=2) as c:
        yield c


def digest_request(client, question="Write the digest.", transcript=TRANSCRIPT, **overrides):
    kwargs = dict(
        model=MODEL,
        max_tokens=1024,
        system=[
            {"type": "text", "text": "You write digests of videos."},
            {"type": "text", "text": transcript, "cache_control": {"type": "ephemeral"}},
        ],
        messages=[{"role": "user", "content": question}],
        tools=[DIGEST_TOOL],
        tool_choice={"type": "tool", "name": "write_digest"},
    )
    kwargs.update(overrides)
    return client.messages.create(**kwargs)


def post_raw(fake, body, path="/v1/messages", method="POST", headers=None):
    """A request without the SDK: (status, headers, parsed body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        fake.base_url + path,
        data=data,
        method=method,
        headers={
            "x-api-key": "test-key",
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_tool_use_reply_is_parsed_and_the_request_recorded(fake, client):
    fake.push_tool_use("write_digest", {"hook": "Bees dance.", "points": ["a", "b"]})
    message = digest_request(client)

    assert message.type == "message" and message.role == "assistant" and message.model == MODEL
    assert message.id.startswith("msg_")
    assert message.stop_reason == "tool_use" and message.stop_sequence is None
    [block] = message.content
    assert isinstance(block, ToolUseBlock)
    assert block.name == "write_digest" and block.id.startswith("toolu_")
    assert block.input == {"hook": "Bees dance.", "points": ["a", "b"]}
    assert message._request_id.startswith("req_")

    [request] = fake.requests
    assert request.method == "POST" and request.path == "/v1/messages"
    assert request.api_key == "test-key"  # the 2.x SDK sends it as "Authorization: Bearer test-key"
    assert request.headers["anthropic-version"]
    assert request.headers["content-type"] == "application/json"
    assert request.retry_count == 0
    assert request.body["tool_choice"] == {"type": "tool", "name": "write_digest"}
    assert request.body["tools"] == [DIGEST_TOOL]
    assert request.body["system"][1]["cache_control"] == {"type": "ephemeral"}
    assert request.body["messages"] == [{"role": "user", "content": "Write the digest."}]
    assert request.status == 200
    assert request.usage["input_tokens"] == message.usage.input_tokens
    assert request.usage["output_tokens"] == message.usage.output_tokens
    assert request.response_headers["content-type"] == "application/json"
    assert request.response_headers["request-id"] == message._request_id


def test_text_reply_with_explicit_usage(fake, client):
    fake.push_text("Bees dance at [00:00].", usage={"input_tokens": 321, "output_tokens": 9})
    message = client.messages.create(
        model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "Why do bees dance?"}]
    )
    [block] = message.content
    assert isinstance(block, TextBlock) and block.text == "Bees dance at [00:00]."
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 321 and message.usage.output_tokens == 9
    assert message.usage.cache_creation_input_tokens == 0
    assert message.usage.cache_read_input_tokens == 0


def test_usage_is_computed_from_the_request_when_not_given(fake, client):
    fake.push_text("z" * 20)
    message = client.messages.create(
        model=MODEL, max_tokens=200, system="s" * 400, messages=[{"role": "user", "content": "q" * 40}]
    )
    assert message.usage.input_tokens == 100 + 10
    assert message.usage.output_tokens == 5
    assert fake.count_tokens("x" * 9) == 3


def test_prompt_cache_is_written_then_read(fake, client):
    fake.push_tool_use("write_digest", {"hook": "h", "points": []})
    fake.push_tool_use("write_digest", {"hook": "h", "points": []})
    fake.push_tool_use("write_digest", {"hook": "h", "points": []})

    first = digest_request(client, question="Write the digest.").usage
    second = digest_request(client, question="Now a shorter one, please.").usage
    other = digest_request(client, transcript=TRANSCRIPT + " And then they rest.").usage

    prefix = fake.count_tokens(json.dumps(DIGEST_TOOL, sort_keys=True, separators=(",", ":")))
    prefix += fake.count_tokens("You write digests of videos.") + fake.count_tokens(TRANSCRIPT)
    assert first.cache_creation_input_tokens == prefix > 1024
    assert first.cache_creation.ephemeral_5m_input_tokens == prefix
    assert first.cache_read_input_tokens == 0
    assert first.input_tokens == fake.count_tokens("Write the digest.")

    assert second.cache_read_input_tokens == prefix
    assert second.cache_creation_input_tokens == 0
    assert second.input_tokens == fake.count_tokens("Now a shorter one, please.")

    assert other.cache_read_input_tokens == 0 and other.cache_creation_input_tokens > 1024


def test_prefix_below_the_minimum_is_not_cached(fake, client):
    for _ in range(2):
        fake.push_tool_use("write_digest", {"hook": "h", "points": []})
        usage = digest_request(client, transcript="A short talk.").usage
        assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0


def test_cache_in_messages_depends_on_tools_and_tool_choice(fake, client):
    def ask(question, **kwargs):
        messages = [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": TRANSCRIPT, "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                    {"type": "text", "text": question},
                ],
            }
        ]
        return client.messages.create(model=MODEL, max_tokens=300, messages=messages, **kwargs).usage

    fake.push_text("one")
    fake.push_text("two")
    fake.push_tool_use("write_digest", {"hook": "h", "points": []})
    first = ask("What do bees do?")
    assert first.cache_creation.ephemeral_1h_input_tokens == first.cache_creation_input_tokens > 0
    assert ask("And why?").cache_read_input_tokens == first.cache_creation_input_tokens
    # tools come before messages, and tool_choice is part of a messages prefix: no hit
    with_tools = ask("Digest it.", tools=[DIGEST_TOOL], tool_choice={"type": "tool", "name": "write_digest"})
    assert with_tools.cache_read_input_tokens == 0 and with_tools.cache_creation_input_tokens > 0


def test_moved_breakpoint_finds_the_earlier_prefix(fake, client):
    """Multi-turn: the breakpoint moves to the newest turn; the API looks back for the old prefix."""
    turn1 = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": TRANSCRIPT, "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "What do bees do?"},
            ],
        }
    ]
    fake.push_text("They dance.")
    fake.push_text("To point at flowers.")
    first = client.messages.create(model=MODEL, max_tokens=100, messages=turn1).usage
    turn2 = [
        {
            "role": "user",
            "content": [{"type": "text", "text": TRANSCRIPT}, {"type": "text", "text": "What do bees do?"}],
        },
        {"role": "assistant", "content": "They dance."},
        {"role": "user", "content": [{"type": "text", "text": "Why?", "cache_control": {"type": "ephemeral"}}]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=100, messages=turn2).usage
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == (
        fake.count_tokens("What do bees do?") + fake.count_tokens("They dance.") + fake.count_tokens("Why?")
    )
    assert second.input_tokens == 0


def test_sdk_retries_529_quickly_then_succeeds(fake, client):
    fake.push_error(529, "overloaded_error", "Overloaded")
    fake.push_tool_use("write_digest", {"hook": "h", "points": []})
    started = time.monotonic()
    message = digest_request(client)
    assert time.monotonic() - started < 1.0  # retry-after-ms: 1, not the SDK's 0.5 s+ backoff
    assert message.content[0].input == {"hook": "h", "points": []}
    first, second = fake.requests
    assert first.status == 529 and first.response_headers["retry-after-ms"] == "1"
    assert first.response["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert [first.retry_count, second.retry_count] == [0, 1]
    assert first.body == second.body


def test_rate_limit_exhausts_retries(fake, client):
    for _ in range(3):
        fake.push_error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit")
    with pytest.raises(anthropic.RateLimitError) as caught:
        digest_request(client)
    assert caught.value.status_code == 429
    assert caught.value.type == "rate_limit_error"
    assert caught.value.request_id.startswith("req_")
    assert caught.value.body["error"]["message"].startswith("Number of request tokens")
    assert [r.retry_count for r in fake.requests] == [0, 1, 2]


def test_x_should_retry_false_stops_sdk_retries(fake, client):
    fake.push(error(529, "overloaded_error", "Overloaded", headers={"x-should-retry": "false"}))
    with pytest.raises(anthropic.OverloadedError):
        digest_request(client)
    assert len(fake.requests) == 1


def test_wrong_key_is_an_authentication_error(fake):
    fake.push_text("never sent")
    with anthropic.Anthropic(base_url=fake.base_url, api_key="wrong", max_retries=2) as client:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 401 and caught.value.type == "authentication_error"
    assert len(fake.requests) == 1  # a 401 is not retried
    assert fake.pending == 1  # nothing scripted was used


def test_bad_alternation_is_a_bad_request(fake, client):
    fake.push_text("never sent")
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}],
        )
    assert caught.value.type == "invalid_request_error"
    assert "alternate" in caught.value.api_message
    assert len(fake.requests) == 1 and fake.pending == 1


GOOD = {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    "body, needle",
    [
        ({k: v for k, v in GOOD.items() if k != "model"}, "model: Field required"),
        ({k: v for k, v in GOOD.items() if k != "max_tokens"}, "max_tokens: Field required"),
        ({k: v for k, v in GOOD.items() if k != "messages"}, "messages: Field required"),
        ({**GOOD, "messages": []}, "at least one message"),
        ({**GOOD, "messages": [{"role": "assistant", "content": "hi"}]}, "first message"),
        ({**GOOD, "messages": [{"role": "user", "content": ""}]}, "non-empty"),
        ({**GOOD, "messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}, "non-empty"),
        ({**GOOD, "temprature": 0.2}, "temprature: Extra inputs are not permitted"),
        (
            {
                **GOOD,
                "system": [{"type": "text", "text": f"s{i}", "cache_control": {"type": "ephemeral"}} for i in range(5)],
            },
            "maximum of 4 blocks with cache_control",
        ),
        ({**GOOD, "tools": [DIGEST_TOOL], "tool_choice": {"type": "tool", "name": "nope"}}, "'nope' not found"),
        ({**GOOD, "tool_choice": {"type": "any"}}, "while providing tools"),
        ({**GOOD, "tools": [DIGEST_TOOL, DIGEST_TOOL]}, "unique"),
        ({**GOOD, "tools": [{"name": "bad name", "input_schema": {"type": "object"}}]}, "pattern"),
        (
            {
                **GOOD,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "42"}]}
                ],
            },
            "unexpected `tool_use_id`",
        ),
    ],
)
def test_invalid_requests_are_rejected(fake, body, needle):
    status, headers, payload = post_raw(fake, body)
    assert status == 400
    assert headers["content-type"] == "application/json" and headers["request-id"].startswith("req_")
    assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
    assert needle in payload["error"]["message"]


def test_missing_key_and_unknown_paths(fake):
    status, _, payload = post_raw(fake, GOOD, headers={"x-api-key": ""})
    assert status == 401 and payload["error"]["type"] == "authentication_error"
    status, headers, payload = post_raw(fake, None, path="/v1/models", method="GET")
    assert status == 404 and payload["error"]["type"] == "not_found_error"
    assert headers["content-type"] == "application/json" and "request-id" in headers
    fake.push_text("hello")
    status, _, payload = post_raw(fake, GOOD)  # x-api-key works as well as Authorization: Bearer
    assert status == 200 and payload["content"] == [{"type": "text", "text": "hello"}]


def test_concurrent_requests_with_a_responder(fake, client):
    def responder(body):
        chunk = last_user_text(body)
        assert forced_tool(body) == "write_digest"
        return tool_use("write_digest", {"hook": chunk.upper(), "points": [chunk]}, delay=0.02)

    fake.responder = responder
    chunks = [f"chunk {i}" for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        messages = list(pool.map(lambda chunk: digest_request(client, question=chunk), chunks))
    for chunk, message in zip(chunks, messages):
        assert message.content[0].input == {"hook": chunk.upper(), "points": [chunk]}
    assert len(fake.message_requests) == 40
    assert fake.max_in_flight > 1
    # all 40 share one cached prefix: created once, read by the others
    created = [r.usage["cache_creation_input_tokens"] for r in fake.requests]
    assert sum(1 for c in created if c) == 1


def test_responder_may_return_text_and_queue_goes_first(fake, client):
    fake.responder = lambda body: "from the responder"
    fake.push(text("from the queue"))

    def ask() -> str:
        reply = client.messages.create(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "hi"}])
        return reply.content[0].text

    assert [ask(), ask()] == ["from the queue", "from the responder"]


def test_max_tokens_and_stop_sequences(fake, client):
    fake.push_text("word " * 100)
    message = client.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 5
    assert message.content[0].text == ("word " * 100)[:20]

    fake.push_text("Answer: 42\n\nHuman: more")
    message = client.messages.create(
        model=MODEL, max_tokens=50, stop_sequences=["\n\nHuman:"], messages=[{"role": "user", "content": "hi"}]
    )
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == "\n\nHuman:"
    assert message.content[0].text == "Answer: 42"


def test_streaming(fake, client):
    fake.push_tool_use("write_digest", {"hook": "Bees dance.", "points": ["x" * 50]}, preamble="Here it is.")
    with client.messages.stream(
        model=MODEL, max_tokens=500, messages=[{"role": "user", "content": "go"}], tools=[DIGEST_TOOL]
    ) as stream:
        message = stream.get_final_message()
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[0].text == "Here it is."
    assert message.content[1].input == {"hook": "Bees dance.", "points": ["x" * 50]}
    assert message.stop_reason == "tool_use" and message.usage.output_tokens > 1
    assert fake.requests[0].body["stream"] is True


def test_structured_output(fake, client):
    schema = {
        "type": "object",
        "properties": {"hook": {"type": "string"}},
        "required": ["hook"],
        "additionalProperties": False,
    }
    fake.push_json({"hook": "Bees dance."})
    message = client.messages.create(
        model=MODEL,
        max_tokens=100,
        messages=[{"role": "user", "content": "go"}],
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )
    assert json.loads(message.content[0].text) == {"hook": "Bees dance."}


def test_script_mistakes_are_reported_not_retried(fake, client):
    fake.push_tool_use("write_digest", {"hook": 3})  # does not match the schema
    with pytest.raises(anthropic.InternalServerError) as caught:
        digest_request(client)
    assert "input_schema" in caught.value.api_message
    fake.push_text("ignores the forced tool")
    with pytest.raises(anthropic.InternalServerError):
        digest_request(client)
    with pytest.raises(anthropic.InternalServerError):  # nothing queued, no responder
        digest_request(client)
    assert len(fake.requests) == 3 and len(fake.problems) == 3
    fake.problems.clear()  # or leaving the `with` block raises

    fake.push(Reply(content=[{"type": "text", "text": "on purpose"}], check=False))
    assert digest_request(client).content[0].text == "on purpose"
