"""The fake Slack Web API and signed payloads, exercised with the real slack_sdk and slack_bolt."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers, builtin_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.support import fake_slack as fs
from tests.support.fake_slack import FakeSlack

SECRET = "test-signing-secret"


@pytest.fixture(scope="module")
def fake_session():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake(fake_session: FakeSlack):
    fake_session.reset()
    yield fake_session
    fake_session.reset()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.api_url)


@pytest.fixture
def quick_retry(monkeypatch):
    """slack_sdk's rate-limit handlers sleep int(Retry-After) + random(); make random() tiny."""

    class _Random:
        @staticmethod
        def random() -> float:
            return 0.01

    monkeypatch.setattr(builtin_handlers, "random", _Random)
    monkeypatch.setattr(builtin_async_handlers, "random", _Random)


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


# -- Web API with WebClient ------------------------------------------------------------------------


def test_api_url_is_what_slack_sdk_joins_method_names_onto(fake: FakeSlack, client: WebClient):
    assert fake.api_url.endswith("/api/") and fake.api_url.startswith("http://127.0.0.1:")
    client.auth_test()
    call = fake.last("auth.test")
    assert call.headers["authorization"] == f"Bearer {fake.token}"


def test_auth_test(fake: FakeSlack, client: WebClient):
    resp = client.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == fs.BOT_USER_ID and resp["bot_id"] == fs.BOT_ID
    assert resp["team_id"] == fs.TEAM_ID and resp["team"] == fs.TEAM_NAME
    assert resp["url"].startswith("https://") and resp["user"] == fs.BOT_NAME
    assert resp["is_enterprise_install"] is False
    assert "chat:write" in resp.headers["x-oauth-scopes"]


def test_wrong_or_missing_token(fake: FakeSlack):
    with pytest.raises(SlackApiError) as e:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert e.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as e:
        WebClient(base_url=fake.api_url).chat_postMessage(channel="C1", text="hi")
    assert e.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as e:
        WebClient(token=fake.app_token, base_url=fake.api_url).chat_postMessage(channel="C1", text="hi")
    assert e.value.response["error"] == "not_allowed_token_type"


def test_post_message_returns_increasing_ts_and_is_recorded(fake: FakeSlack, client: WebClient):
    first = client.chat_postMessage(channel="C1", text="hello", blocks=[section("*hello*")])
    second = client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert first["ok"] and first["channel"] == "C1"
    assert fs._ts_key(first["ts"]) < fs._ts_key(second["ts"])
    assert len(first["ts"].split(".")[1]) == 6
    assert first["message"]["text"] == "hello"
    assert first["message"]["blocks"][0]["text"]["text"] == "*hello*"
    assert first["message"]["blocks"][0]["block_id"]  # Slack fills block_ids in
    assert first["message"]["bot_id"] == fs.BOT_ID and first["message"]["user"] == fs.BOT_USER_ID
    assert second["message"]["thread_ts"] == first["ts"]

    calls = fake.calls_to("chat.postMessage")
    assert [c.params["text"] for c in calls] == ["hello", "reply"]
    assert calls[0].params["blocks"] == [section("*hello*")]
    assert calls[1].params["thread_ts"] == first["ts"]
    assert calls[0].response["ts"] == first["ts"] and calls[0].ok
    assert [m["text"] for m in fake.thread("C1", first["ts"])] == ["hello", "reply"]
    assert fake.message("C1", first["ts"])["reply_count"] == 1


def test_form_encoded_params_are_decoded(fake: FakeSlack, client: WebClient):
    resp = client.api_call(
        "chat.postMessage", params={"channel": "C1", "text": "x", "blocks": json.dumps([section("a")])}
    )
    assert resp["ok"]
    assert fake.last("chat.postMessage").params["blocks"] == [section("a")]
    assert fake.last("chat.postMessage").headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_chat_update_ephemeral_delete(fake: FakeSlack, client: WebClient):
    posted = client.chat_postMessage(channel="C1", text="Working on it…")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="Done", blocks=[section("Done")])
    assert updated["ok"] and updated["ts"] == posted["ts"] and updated["text"] == "Done"
    assert updated["message"]["blocks"][0]["text"]["text"] == "Done"
    current = fake.message("C1", posted["ts"])
    assert current["text"] == "Done" and "edited" in current

    with pytest.raises(SlackApiError) as e:
        client.chat_update(channel="C1", ts="1.000001", text="nope")
    assert e.value.response["error"] == "message_not_found"

    eph = client.chat_postEphemeral(channel="C1", user=fs.USER_ID, text="only you")
    assert eph["message_ts"] and fake.ephemerals[0]["text"] == "only you"

    assert client.chat_delete(channel="C1", ts=posted["ts"])["ok"]
    assert fake.message("C1", posted["ts"]) is None


def test_block_limits(fake: FakeSlack, client: WebClient):
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x", blocks=[section(str(i)) for i in range(51)])
    assert e.value.response["error"] == "invalid_blocks"
    assert "must be less than 51 items [json-pointer:/blocks]" in e.value.response["errors"]
    client.chat_postMessage(channel="C1", text="x", blocks=[section(str(i)) for i in range(50)])

    cases = [
        [section("a" * 3001)],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
        [section("")],
        [
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a"}],
            }
        ],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        [{"type": "bogus"}],
        [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}],
    ]
    for blocks in cases:
        with pytest.raises(SlackApiError) as e:
            client.chat_postMessage(channel="C1", text="x", blocks=blocks)
        assert e.value.response["error"] == "invalid_blocks", blocks
    posted = client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as e:
        client.chat_update(channel="C1", ts=posted["ts"], text="x", blocks=[section("a" * 3001)])
    assert e.value.response["error"] == "invalid_blocks"

    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert e.value.response["error"] == "msg_too_long"
    with pytest.raises(SlackApiError) as e:
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert e.value.response["error"] == "no_text"
    assert len(fake.calls_to("chat.postMessage", ok=False)) == len(cases) + 3


def test_unknown_method(fake: FakeSlack, client: WebClient):
    with pytest.raises(SlackApiError) as e:
        client.api_call("chat.doesNotExist")
    assert e.value.response["error"] == "unknown_method"


def test_files_upload_v2_round_trip(fake: FakeSlack, client: WebClient):
    data = b"00:00:01 hello\n00:00:05 world\n" * 100
    resp = client.files_upload_v2(
        channel="C1",
        thread_ts="1700000000.000100",
        content=data,
        filename="transcript.txt",
        title="Transcript",
        initial_comment="Here is the transcript",
    )
    assert resp["ok"]
    file_id = resp["file"]["id"]
    assert resp["file"]["name"] == "transcript.txt" and resp["file"]["size"] == len(data)
    assert [c.method for c in fake.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert fake.last("files.getUploadURLExternal").params["length"] == str(len(data))  # form-encoded: strings
    assert fake.last("upload").body == data
    complete = fake.last("files.completeUploadExternal").params
    assert complete["files"] == [{"id": file_id, "title": "Transcript"}]  # JSON text, decoded
    assert complete["channel_id"] == "C1" and complete["thread_ts"] == "1700000000.000100"
    uploaded = fake.files[file_id]
    assert uploaded.content == data and uploaded.title == "Transcript" and uploaded.completed
    assert uploaded.thread_ts == "1700000000.000100" and uploaded.initial_comment == "Here is the transcript"
    assert client.files_info(file=file_id)["file"]["id"] == file_id
    shared = fake.thread("C1", "1700000000.000100")
    assert shared[0]["files"][0]["id"] == file_id and shared[0]["text"] == "Here is the transcript"


def test_views_conversations_users_reactions_connections(fake: FakeSlack, client: WebClient):
    view = {
        "type": "modal",
        "callback_id": "ask",
        "private_metadata": '{"video": 1}',
        "title": {"type": "plain_text", "text": "Ask a question"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "blocks": [
            {
                "type": "input",
                "block_id": "q",
                "label": {"type": "plain_text", "text": "Question"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
    opened = client.views_open(trigger_id="123.456.abc", view=view)
    assert opened["view"]["id"].startswith("V") and opened["view"]["private_metadata"] == '{"video": 1}'
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id="123.456.abc", view=view)
    assert e.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id="t2", view={**view, "title": {"type": "plain_text", "text": "x" * 25}})
    assert e.value.response["error"] == "invalid_arguments"
    updated = client.views_update(view_id=opened["view"]["id"], view={**view, "private_metadata": "2"})
    assert updated["view"]["private_metadata"] == "2"

    assert client.conversations_info(channel="D123")["channel"]["is_im"] is True
    chan = client.conversations_info(channel=fs.CHANNEL_ID)["channel"]
    assert chan["is_im"] is False and chan["is_channel"] is True and chan["name"] == fs.CHANNEL_NAME
    fake.add_channel("C9", name="videos", is_member=False)
    assert client.conversations_info(channel="C9")["channel"]["name"] == "videos"

    user = client.users_info(user=fs.USER_ID)["user"]
    assert user["id"] == fs.USER_ID and user["profile"]["display_name"] == fs.USER_NAME
    assert client.users_info(user=fs.BOT_USER_ID)["user"]["is_bot"] is True

    assert client.reactions_add(channel="C1", timestamp="1.000001", name="eyes")["ok"]
    with pytest.raises(SlackApiError) as e:
        client.reactions_add(channel="C1", timestamp="1.000001", name="eyes")
    assert e.value.response["error"] == "already_reacted"
    assert fake.reactions == [("C1", "1.000001", "eyes")]

    url = WebClient(token=fake.app_token, base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]
    assert url.startswith("ws://")

    fake.fail_next("chat.postMessage", "not_in_channel")
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x")
    assert e.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_rate_limit_then_success_with_retry_handler(fake: FakeSlack, quick_retry):
    fake.rate_limit("chat.postMessage", times=1, retry_after=0)
    plain = WebClient(token=fake.token, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as e:
        plain.chat_postMessage(channel="C1", text="x")
    assert e.value.response.status_code == 429 and e.value.response["error"] == "ratelimited"
    assert e.value.response.headers["Retry-After"] == "0"

    fake.rate_limit("chat.postMessage", times=2, retry_after=0)
    client = WebClient(
        token=fake.token, base_url=fake.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    started = time.monotonic()
    resp = client.chat_postMessage(channel="C1", text="digest")
    assert resp["ok"] and time.monotonic() - started < 1
    calls = fake.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 429, 429, 200]
    assert fake.wait_for("chat.postMessage", timeout=0.1)[0].params["text"] == "digest"


def test_wait_for_times_out_with_a_summary(fake: FakeSlack, client: WebClient):
    client.auth_test()
    with pytest.raises(AssertionError, match="auth.test"):
        fake.wait_for("chat.postMessage", timeout=0.05)


# -- Web API with AsyncWebClient ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_client(fake: FakeSlack, quick_retry):
    client = AsyncWebClient(
        token=fake.token, base_url=fake.api_url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)]
    )
    assert (await client.auth_test())["bot_id"] == fs.BOT_ID
    fake.rate_limit("chat.postMessage", retry_after=0)
    posted = await client.chat_postMessage(channel="C1", text="hello", blocks=[section("hi")])
    assert posted["ts"] and fake.last("chat.postMessage").params["blocks"] == [section("hi")]
    await client.chat_update(channel="C1", ts=posted["ts"], text="bye")
    assert fake.message("C1", posted["ts"])["text"] == "bye"
    with pytest.raises(SlackApiError) as e:
        await client.chat_postMessage(channel="C1", text="x", blocks=[section("b")] * 51)
    assert e.value.response["error"] == "invalid_blocks"

    uploaded = await client.files_upload_v2(channel="C1", content=b"\x00\x01binary", filename="a.bin")
    assert fake.files[uploaded["file"]["id"]].content == b"\x00\x01binary"
    assert (await client.conversations_info(channel="D1"))["channel"]["is_im"]
    assert fake.last("conversations.info").http_method == "GET"  # AsyncWebClient honours http_verb
    assert (await fake.wait_for_async("files.completeUploadExternal"))[0].ok


# -- requests from Slack ----------------------------------------------------------------------------


def test_sign_matches_slack_sdk_signature_verifier():
    body, _ = fs.app_mention("<@U0FAKEBOT> hi")
    headers = fs.sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert (
        verifier.generate_signature(timestamp="1531420618", body=body)
        == fs.sign(body, SECRET, 1531420618)["X-Slack-Signature"]
    )
    assert not verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], fs.sign(body, "other")["X-Slack-Signature"]
    )
    old = fs.sign(body, SECRET, int(time.time()) - 600)
    assert not verifier.is_valid(body, old["X-Slack-Request-Timestamp"], old["X-Slack-Signature"])

    retried = fs.signed_headers((body, fs.JSON), SECRET, retry_num=2, retry_reason="http_timeout")
    assert retried["X-Slack-Retry-Num"] == "2" and retried["X-Slack-Retry-Reason"] == "http_timeout"
    assert "X-Slack-Retry-Num" not in fs.signed_headers((body, fs.JSON), SECRET)


def test_payload_shapes():
    env = json.loads(fs.message("hi", channel="C1", thread_ts="1.000001")[0])
    assert env["type"] == "event_callback" and env["event_id"].startswith("Ev")
    assert {"token", "team_id", "api_app_id", "event", "event_time", "authorizations"} <= env.keys()
    ev = env["event"]
    assert ev["type"] == "message" and ev["channel_type"] == "channel" and ev["thread_ts"] == "1.000001"
    assert json.loads(fs.message("hi", channel="D1")[0])["event"]["channel_type"] == "im"
    bot = json.loads(fs.bot_message("beep")[0])["event"]
    assert bot["subtype"] == "bot_message" and bot["bot_id"]
    edit = json.loads(fs.message_changed("new", ts="1.000001", previous_text="old")[0])["event"]
    assert edit["subtype"] == "message_changed" and edit["message"]["ts"] == "1.000001"
    assert json.loads(fs.url_verification("abc")[0]) == {
        "token": fs.VERIFICATION_TOKEN,
        "challenge": "abc",
        "type": "url_verification",
    }

    body, ctype = fs.slash_command("https://youtu.be/x", response_url="http://r")
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert ctype == fs.FORM and form["command"] == "/recap" and form["text"] == "https://youtu.be/x"
    assert {"user_id", "channel_id", "team_id", "trigger_id", "response_url", "api_app_id"} <= form.keys()

    msg = {
        "ts": "5.000001",
        "thread_ts": "4.000001",
        "blocks": [
            {
                "type": "actions",
                "block_id": "btns",
                "elements": [{"type": "button", "action_id": "full", "text": {"type": "plain_text", "text": "Full"}}],
            }
        ],
    }
    body, ctype = fs.block_actions("full", "v1", message=msg, channel="C1")
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["actions"][0]["block_id"] == "btns"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "5.000001",
        "channel_id": "C1",
        "is_ephemeral": False,
        "thread_ts": "4.000001",
    }
    assert payload["message"]["ts"] == "5.000001" and payload["channel"]["id"] == "C1" and payload["trigger_id"]

    body, _ = fs.view_submission("ask", {"q": {"text": "why?"}}, private_metadata="meta")
    view = json.loads(parse_qs(body.decode())["payload"][0])["view"]
    assert view["state"]["values"] == {"q": {"text": {"type": "plain_text_input", "value": "why?"}}}
    assert view["private_metadata"] == "meta" and view["callback_id"] == "ask"


def test_bolt_app_handles_signed_app_mention_and_posts_to_the_fake(fake: FakeSlack):
    from slack_bolt import App

    app = App(client=WebClient(token=fake.token, base_url=fake.api_url), signing_secret=SECRET)
    assert len(fake.calls_to("auth.test")) == 1  # eager token verification at start-up
    retries: list = []

    @app.event("app_mention")
    def on_mention(event, say, request):
        retries.append(request.headers.get("x-slack-retry-num"))
        say(text=f"On it: {event['text']}", thread_ts=event["ts"])

    payload = fs.app_mention(f"<@{fs.BOT_USER_ID}> https://youtu.be/abc", channel="C7")
    resp = app.dispatch(fs.bolt_request(payload, SECRET))
    assert resp.status == 200  # acked before the listener ran (process_before_response=False)
    call = fake.wait_for("chat.postMessage")[0]
    event = json.loads(payload[0])["event"]
    assert call.params["channel"] == "C7" and call.params["thread_ts"] == event["ts"]
    assert call.params["text"].startswith("On it: <@U0FAKEBOT>")
    assert retries == [None]

    resp = app.dispatch(fs.bolt_request(fs.app_mention("again"), SECRET, retry_num=1, retry_reason="http_timeout"))
    assert resp.status == 200
    fake.wait_for("chat.postMessage", count=2)
    assert retries[1] == ["1"]
    assert len(fake.calls_to("auth.test")) == 1  # cached: no auth.test per request


def test_bolt_refuses_bad_signature_with_401(fake: FakeSlack):
    from slack_bolt import App, BoltRequest

    app = App(client=WebClient(token=fake.token, base_url=fake.api_url), signing_secret=SECRET)
    called = []
    app.event("app_mention")(lambda: called.append(1))
    body, ctype = fs.app_mention("hi")
    headers = fs.signed_headers((body, ctype), "wrong-secret")
    resp = app.dispatch(BoltRequest(body=body.decode(), headers=headers))
    assert resp.status == 401 and json.loads(resp.body) == {"error": "invalid request"}
    stale = fs.signed_headers((body, ctype), SECRET, timestamp=int(time.time()) - 3600)
    assert app.dispatch(BoltRequest(body=body.decode(), headers=stale)).status == 401
    assert called == [] and fake.calls_to("chat.postMessage") == []


def test_bolt_url_verification_command_and_respond(fake: FakeSlack):
    from slack_bolt import App

    app = App(client=WebClient(token=fake.token, base_url=fake.api_url), signing_secret=SECRET)

    @app.command("/recap")
    def recap(ack, command, respond):
        ack(text="Working on it")
        respond(text=f"Digest for {command['text']}", response_type="in_channel")

    resp = app.dispatch(fs.bolt_request(fs.url_verification("chal"), SECRET))
    assert resp.status == 200 and json.loads(resp.body) == {"challenge": "chal"}

    payload = fs.slash_command("https://youtu.be/x", response_url=fake.response_url())
    resp = app.dispatch(fs.bolt_request(payload, SECRET))
    assert resp.status == 200 and resp.body == "Working on it"  # ack(text=...) alone: a plain-text body
    posted = fake.wait_for("response_url")[0]
    assert posted.params == {"text": "Digest for https://youtu.be/x", "response_type": "in_channel"}


@pytest.mark.asyncio
async def test_async_bolt_over_http(fake: FakeSlack):
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp

    app = AsyncApp(client=AsyncWebClient(token=fake.token, base_url=fake.api_url), signing_secret=SECRET)

    @app.action("full_digest")
    async def full(ack, body, client):
        await ack()
        await client.chat_postMessage(
            channel=body["channel"]["id"], thread_ts=body["container"]["message_ts"], text="full"
        )

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/slack/events"
        assert fake.calls_to("auth.test") == []  # AsyncApp verifies lazily, on the first request
        resp = await fs.post_signed_async(
            url, fs.block_actions("full_digest", "1", message_ts="9.000001", channel="C3"), SECRET
        )
        assert resp.status == 200
        call = (await fake.wait_for_async("chat.postMessage"))[0]
        assert call.params["thread_ts"] == "9.000001" and call.params["channel"] == "C3"
        bad = await fs.post_signed_async(url, fs.block_actions("full_digest"), "nope")
        assert bad.status == 401
        assert len(fake.calls_to("auth.test")) == 1
    finally:
        await runner.cleanup()


def test_bolt_message_routing_self_events_and_edits(fake: FakeSlack):
    from slack_bolt import App

    app = App(
        client=WebClient(token=fake.token, base_url=fake.api_url), signing_secret=SECRET, process_before_response=True
    )
    seen: list[tuple[str | None, str]] = []

    @app.message()
    def on_message(message):
        seen.append((message.get("subtype"), message["text"]))

    def send(payload):
        return app.dispatch(fs.bolt_request(payload, SECRET)).status

    assert send(fs.message("user text", thread_ts="1.000001")) == 200
    assert send(fs.bot_message("other bot")) == 200
    # recap's own message (as chat.postMessage produces it): bolt acks and drops it (auth.test ids)
    assert send(fs.bot_message("own", bot_id=fs.BOT_ID, user=fs.BOT_USER_ID, subtype=None, app_id=fs.APP_ID)) == 200
    # app.message() does not match message_changed: with no other listener bolt answers 404
    assert send(fs.message_changed("edited", ts="1.000001")) == 404
    assert seen == [(None, "user text"), ("bot_message", "other bot")]
