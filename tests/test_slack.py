"""The Slack app for real: slack-bolt serving signed requests over HTTP, slack_sdk posting to the
fake Slack Web API, the whole bot and pipeline behind them."""

from __future__ import annotations

import asyncio
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from adapters.slack import blocks
from adapters.slack.app import build_app
from bot.app import build_assistant
from bot.settings import Settings
from tests.support import fake_slack as fs

SECRET = "test-signing-secret"


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def slack():
    with fs.FakeSlack() as fake:
        yield fake


@pytest.fixture
async def recap(tmp_path, slack):
    """recap's Slack endpoint on an ephemeral port; yields (assistant, events URL)."""
    assistant = build_assistant(
        Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 's.sqlite3'}", allow_private_networks=True)
    )
    app = build_app(assistant, token=fs.BOT_TOKEN, signing_secret=SECRET, api_url=slack.api_url)
    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield assistant, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    await assistant.runner.drain()
    await runner.cleanup()


async def deliver(url: str, payload, **headers) -> fs.Delivery:
    return await fs.post_signed_async(url, payload, SECRET, **headers)


async def settle(assistant, handled: int) -> None:
    """Wait until the bot has handled `handled` requests since the test began (bolt runs listeners
    after it has answered Slack), then until every job they started is done."""
    try:
        await asyncio.wait_for(assistant.handled.reach(handled), 10)
    except TimeoutError:
        raise AssertionError(f"the bot handled {assistant.handled.count} requests, not {handled}") from None
    await assistant.runner.drain()


async def test_a_pasted_link_gets_a_threaded_digest_with_progress(recap, slack, media_server):
    assistant, url = recap
    link = media_server.url("site/bees.html")
    delivery = await deliver(url, fs.message(f"watch this <{link}>", ts="1700000100.000100"))
    assert delivery.status == 200
    await settle(assistant, 1)

    post, digest = slack.calls_to("chat.postMessage", ok=True)
    assert post.params["channel"] == fs.CHANNEL_ID and post.params["thread_ts"] == "1700000100.000100"
    assert "Watching…" in dumps(post.params["blocks"])
    # The digest is a new message in the thread, so that its followers are notified; "Watching…" goes.
    assert digest.params["thread_ts"] == "1700000100.000100"
    assert slack.message(fs.CHANNEL_ID, post.response["ts"]) is None
    (final,) = slack.thread(fs.CHANNEL_ID, "1700000100.000100")
    assert final["ts"] == digest.response["ts"] and final["blocks"][0]["type"] == "header"
    assert "edited" not in final
    # Every timestamp is a video link: no message of recap's gets Slack's link previews.
    assert all(c.params.get("unfurl_links") is False for c in (post, digest))
    assert all(c.params.get("unfurl_media") is False for c in (post, digest))
    assert "The Secret Life of Honey Bees" in final["blocks"][0]["text"]["text"]
    actions = [b for b in final["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        blocks.ACTION_FULL_DIGEST,
        blocks.ACTION_TRANSCRIPT,
        blocks.ACTION_ASK,
    ]
    assert f"<{link}#t=15|" in dumps(final["blocks"])  # a highlight as a deep link


async def test_a_retried_event_gets_one_reply(recap, slack, media_server):
    assistant, url = recap
    payload = fs.message(media_server.url("site/bees.html"), ts="1700000200.000100", event_id="EvSAME")
    assert (await deliver(url, payload)).status == 200
    assert (await deliver(url, payload, retry_num=1)).status == 200
    assert (
        await deliver(
            url, fs.app_mention(f"<@{fs.BOT_USER_ID}> {media_server.url('site/bees.html')}", ts="1700000200.000100")
        )
    ).status == 200
    await settle(assistant, 3)
    assert len(slack.calls_to("chat.postMessage", ok=True)) == 2  # one "Watching…", one digest
    assert len(slack.thread(fs.CHANNEL_ID, "1700000200.000100")) == 1


async def test_a_thread_reply_is_answered_with_cited_timestamps(recap, slack, media_server):
    assistant, url = recap
    await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700000300.000100"))
    await settle(assistant, 1)
    await deliver(
        url,
        fs.message("How many eggs can the queen lay in a day?", ts="1700000301.000100", thread_ts="1700000300.000100"),
    )
    await settle(assistant, 2)
    answer = slack.calls_to("chat.postMessage", ok=True)[-1]
    assert answer.params["thread_ts"] == "1700000300.000100"
    text = dumps(answer.params["blocks"])
    assert "two thousand eggs" in text and "#t=32|" in text


async def test_bots_and_edits_are_ignored(recap, slack, media_server):
    assistant, url = recap
    link = media_server.url("site/bees.html")
    await deliver(url, fs.bot_message(link))
    await deliver(url, fs.message_changed(link, ts="1700000050.000100"))
    await settle(assistant, 1)
    assert slack.calls_to("chat.postMessage") == []


async def test_a_bad_link_gets_a_short_reason_in_the_thread(recap, slack, media_server):
    assistant, url = recap
    await deliver(
        url, fs.app_mention(f"<@{fs.BOT_USER_ID}> {media_server.url('site/missing.html')}", ts="1700000400.000100")
    )
    await settle(assistant, 1)
    (final,) = slack.thread(fs.CHANNEL_ID, "1700000400.000100")
    assert "404" in final["text"] and final["thread_ts"] == "1700000400.000100"


async def test_slash_command_starts_a_new_thread(recap, slack, media_server):
    assistant, url = recap
    delivery = await deliver(url, fs.slash_command(media_server.url("site/bees.html")))
    assert delivery.status == 200 and "thread" in delivery.json()["text"]
    await settle(assistant, 1)
    top, progress = slack.calls_to("chat.postMessage", ok=True)[:2]
    assert "thread_ts" not in top.params or top.params["thread_ts"] is None
    # The asker is mentioned for real, in the message and in its notification line; never escaped.
    assert f"for <@{fs.USER_ID}>" in top.params["blocks"][0]["text"]["text"]
    assert top.params["text"].endswith(f" for <@{fs.USER_ID}>") and "&lt;" not in dumps(top.params)
    assert progress.params["thread_ts"] == top.response["ts"]


async def test_slash_help_and_ask(recap, slack, media_server):
    assistant, url = recap
    help_ = await deliver(url, fs.slash_command("help"))
    assert "Paste a video link" in help_.body.decode()
    assert "/recap settings" in help_.body.decode() and "/recap-settings" not in help_.body.decode()
    await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700000500.000100"))
    await settle(assistant, 1)
    await deliver(url, fs.slash_command("ask How long does a worker live in summer?"))
    await settle(assistant, 2)
    answer = slack.calls_to("chat.postMessage", ok=True)[-1]
    assert answer.params["thread_ts"] == "1700000500.000100" and "six weeks" in dumps(answer.params["blocks"])


async def test_buttons_full_digest_transcript_and_ask_modal(recap, slack, media_server):
    assistant, url = recap
    await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700000600.000100"))
    await settle(assistant, 1)
    (digest_message,) = slack.digests(fs.CHANNEL_ID, "1700000600.000100")
    key = next(b for b in digest_message["blocks"] if b["type"] == "actions")["elements"][0]["value"]

    await deliver(url, fs.block_actions(blocks.ACTION_FULL_DIGEST, key, message=digest_message))
    await deliver(url, fs.block_actions(blocks.ACTION_TRANSCRIPT, key, message=digest_message))
    await deliver(url, fs.block_actions(blocks.ACTION_ASK, key, message=digest_message))
    await settle(assistant, 3)
    await slack.wait_for_async("views.open")
    full = slack.calls_to("chat.postMessage", ok=True)[-1]
    assert full.params["thread_ts"] == "1700000600.000100"
    digest = assistant.service.store.digest(key, "extractive")
    assert all(s.title in dumps(full.params["blocks"]) for s in digest.sections)
    (uploaded,) = slack.files.values()
    assert b"[0:00] People have kept bees" in uploaded.content
    ((view_id, view),) = slack.views.items()
    meta = view["private_metadata"]
    await deliver(
        url,
        fs.view_submission(
            blocks.ASK_MODAL_CALLBACK,
            {blocks.QUESTION_BLOCK: {blocks.QUESTION_ACTION: "Who invented the modern hive?"}},
            private_metadata=meta,
            view=view,
        ),
    )
    await settle(assistant, 4)
    answer = slack.calls_to("chat.postMessage", ok=True)[-1]
    assert answer.params["thread_ts"] == "1700000600.000100" and "Langstroth" in dumps(answer.params["blocks"])
    assert "Who invented the modern hive?" in dumps(answer.params["blocks"])  # asked in a modal: shown


async def test_slack_rate_limits_are_waited_out(recap, slack, media_server, monkeypatch):
    from slack_sdk.http_retry import builtin_async_handlers

    monkeypatch.setattr(builtin_async_handlers, "random", lambda: 0.0)
    assistant, url = recap
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700000700.000100"))
    await settle(assistant, 1)
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200, 200]  # "Watching…" waited and went out; then the digest


async def test_a_bad_signature_is_refused(recap, slack, media_server):
    import aiohttp

    assistant, url = recap
    body, content_type = fs.message(media_server.url("site/bees.html"))
    headers = {**fs.sign(body, "wrong-secret"), "Content-Type": content_type}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status == 401  # refused before any listener could run: nothing to wait for
    assert assistant.handled.count == 0 and slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("name, socket_mode", [("manifest.yaml", True), ("manifest-http.yaml", False)])
def test_manifests_ask_for_exactly_what_the_app_uses(name, socket_mode):
    import yaml

    from adapters.slack.app import SHORTCUT_RECAP
    from adapters.slack.run import PATH, SCOPES
    from tests.support.recap import FIXTURES

    manifest = yaml.safe_load((FIXTURES.parents[1] / "deploy" / "slack" / name).read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
    }
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/recap"]
    assert [(c["type"], c["callback_id"]) for c in manifest["features"]["shortcuts"]] == [("message", SHORTCUT_RECAP)]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # shortcuts, buttons and modals
    assert manifest["settings"]["org_deploy_enabled"] is True  # Enterprise Grid org-wide installs
    assert manifest["settings"]["socket_mode_enabled"] is socket_mode
    if not socket_mode:
        assert manifest["settings"]["event_subscriptions"]["request_url"].endswith(PATH)
        assert manifest["settings"]["interactivity"]["request_url"].endswith(PATH)


def test_recap_slack_without_credentials_says_what_to_set(tmp_path, monkeypatch, capsys):
    from adapters.cli.commands import main

    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert main(["slack"]) == 1
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err


async def test_settings_are_for_admins_and_turn_auto_summarise_off(recap, slack, media_server):
    assistant, url = recap
    slack.add_user(fs.USER_ID, is_admin=False, is_owner=False)
    refused = await deliver(url, fs.slash_command("settings auto off", response_url=slack.response_url()))
    assert refused.status == 200
    (said,) = await slack.wait_for_async("response_url", 1)
    assert "Only workspace or server admins" in dumps(said.params)

    slack.add_user(fs.USER_ID, is_admin=True)
    await deliver(url, fs.slash_command("settings auto off", response_url=slack.response_url()))
    said = (await slack.wait_for_async("response_url", 2))[-1]
    assert "Saved." in dumps(said.params) and "auto-summarise pasted links off" in dumps(said.params)
    await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700000800.000100"))
    await settle(assistant, 1)  # settings are not requests the bot tallies; this message is
    assert slack.calls_to("chat.postMessage") == []  # pasted links are left alone here now


@pytest.fixture
async def oauth_recap(tmp_path, slack):
    """recap installed into many workspaces (OAuth); yields (assistant, OAuth settings, base URL)."""
    from cryptography.fernet import Fernet

    from adapters.slack.run import oauth_settings
    from bot.app import build_installations, build_secret_box

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'o.sqlite3'}",
        slack_client_id="111.222",
        slack_client_secret="shh",
        slack_signing_secret=SECRET,
        allow_private_networks=True,
        secret_key=Fernet.generate_key().decode(),
    )
    assistant = build_assistant(settings)
    oauth = oauth_settings("111.222", "shh", *build_installations(assistant, build_secret_box(settings)))
    app = build_app(assistant, token=None, signing_secret=SECRET, api_url=slack.api_url, oauth_settings=oauth)
    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield assistant, oauth, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await assistant.runner.drain()
    await runner.cleanup()


async def test_oauth_install_page_asks_for_the_manifest_scopes(oauth_recap):
    import aiohttp

    from adapters.slack.run import SCOPES

    assistant, oauth, base = oauth_recap
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/slack/install", allow_redirects=False) as response:
            page = await response.text()
    assert response.status == 200
    (authorize,) = re.findall(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', page)
    query = parse_qs(urlsplit(html.unescape(authorize)).query)
    assert query["client_id"] == ["111.222"] and query["scope"] == [",".join(SCOPES)] and query["state"]
    # The state was issued by recap's own store, and the callback can use it once.
    assert await oauth.state_store.async_consume(query["state"][0]) is True
    assert await oauth.state_store.async_consume(query["state"][0]) is False


async def test_an_enterprise_grid_workspace_is_answered_with_its_installed_token(oauth_recap, slack, media_server):
    """The bot token comes from the sealed installation, found by enterprise and team for bolt and by
    the team alone when a reply is posted to the workspace."""
    from slack_sdk.oauth.installation_store.models.installation import Installation

    assistant, oauth, base = oauth_recap
    await oauth.installation_store.async_save(
        Installation(
            enterprise_id="E0FAKEGRID",
            team_id=fs.TEAM_ID,
            bot_token=fs.BOT_TOKEN,
            bot_id=fs.BOT_ID,
            bot_user_id=fs.BOT_USER_ID,
            bot_scopes="chat:write",
            user_id=fs.USER_ID,
        )
    )
    body, ctype = fs.message(media_server.url("site/bees.html"), ts="1700001000.000100")
    envelope = json.loads(body)
    envelope["enterprise_id"] = envelope["context_enterprise_id"] = "E0FAKEGRID"
    envelope["authorizations"][0]["enterprise_id"] = "E0FAKEGRID"
    delivery = await deliver(f"{base}/slack/events", (json.dumps(envelope).encode(), ctype))
    assert delivery.status == 200

    post = (await slack.wait_for_async("chat.postMessage", 1))[0]
    assert post.headers["authorization"] == f"Bearer {fs.BOT_TOKEN}"
    assert post.params["thread_ts"] == "1700001000.000100"


def test_oauth_without_a_secret_key_refuses_to_start_and_names_the_setting(tmp_path, monkeypatch, capsys):
    from adapters.cli.commands import main

    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    for name, value in {
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": "shh",
        "SLACK_SIGNING_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["slack"]) == 1
    assert "RECAP_SECRET_KEY" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite3").exists()  # refused before anything was opened


async def test_a_direct_message_is_answered_in_its_thread(recap, slack, media_server):
    assistant, url = recap
    await deliver(url, fs.message(media_server.url("site/bees.html"), channel="D0DIRECT01", ts="1700000900.000100"))
    await settle(assistant, 1)
    (final,) = slack.thread("D0DIRECT01", "1700000900.000100")
    assert final["thread_ts"] == "1700000900.000100" and final["blocks"][0]["type"] == "header"


async def test_a_command_in_a_channel_recap_is_not_in_says_so_privately(recap, slack, media_server):
    assistant, url = recap
    slack.fail_next("chat.postMessage", "not_in_channel")
    delivery = await deliver(
        url, fs.slash_command(media_server.url("site/bees.html"), response_url=slack.response_url())
    )
    assert "On it" in delivery.json()["text"]
    await settle(assistant, 1)
    (said,) = slack.calls_to("response_url")
    assert said.params["response_type"] == "ephemeral" and "invite @recap" in said.params["text"]
    assert slack.calls_to("chat.postMessage", ok=True) == []  # no "Watching…" left hanging anywhere


async def test_a_command_with_a_link_that_is_no_video_posts_nothing(recap, slack, media_server):
    assistant, url = recap
    delivery = await deliver(url, fs.slash_command("https://www.youtube.com/playlist?list=PL123"))
    await settle(assistant, 1)
    assert "playlist" in delivery.json()["text"] and delivery.json()["response_type"] == "ephemeral"
    assert slack.calls_to("chat.postMessage") == []


async def test_refusals_in_a_thread_are_ephemeral(tmp_path, slack, media_server):
    assistant = build_assistant(
        Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'e.sqlite3'}",
            allow_private_networks=True,
            limit_per_user_per_hour=1,
        )
    )
    app = build_app(assistant, token=fs.BOT_TOKEN, signing_secret=SECRET, api_url=slack.api_url)
    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700001000.000100"))
        await settle(assistant, 1)
        await deliver(
            url, fs.message("How many eggs can the queen lay?", ts="1700001001.000100", thread_ts="1700001000.000100")
        )
        await settle(assistant, 2)
        posts = slack.calls_to("chat.postMessage", ok=True)
        assert len(posts) == 2  # progress and the digest; the refusal went to the asker alone
        (whisper,) = slack.ephemerals
        assert whisper["user"] == fs.USER_ID and whisper["thread_ts"] == "1700001000.000100"
        assert "in the last hour" in whisper["text"]
    finally:
        await assistant.runner.drain()
        await runner.cleanup()
