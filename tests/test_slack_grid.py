"""recap installed through OAuth, as Enterprise Grid organisations and token rotation need it: an
org-wide install serves every workspace of the organisation, jobs rotate an expiring token before
they post, Socket Mode serves the install page, and the migrations create the OAuth tables. The real
bolt app and slack_sdk against the fake Web API."""

from __future__ import annotations

import html
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import create_engine, inspect

from bot.chat import Notice, Place
from tests.support import fake_slack as fs
from tests.support.fake_slack import oauth as fake_oauth
from tests.support.processes import SocketModeEnd, free_port
from tests.test_slack import deliver, oauth_recap, slack  # noqa: F401 - the fixtures

GRID = "E0FAKEGRID"
OTHER_TEAM = "T0OTHERWS1"  # a workspace of the organisation that never installed recap itself


def grid_event(body_and_type: fs.Payload, team: str, org_wide: bool) -> fs.Payload:
    """An Events API envelope as Slack sends it from a Grid workspace."""
    body, ctype = body_and_type
    envelope = json.loads(body)
    envelope["team_id"] = envelope["context_team_id"] = team
    envelope["enterprise_id"] = envelope["context_enterprise_id"] = GRID
    envelope["event"]["team"] = team
    envelope["authorizations"] = [
        {
            "enterprise_id": GRID,
            "team_id": None if org_wide else team,
            "user_id": fs.BOT_USER_ID,
            "is_bot": True,
            "is_enterprise_install": org_wide,
        }
    ]
    envelope["is_ext_shared_channel"] = False
    return json.dumps(envelope).encode(), ctype


async def test_an_org_wide_install_serves_every_workspace_of_the_organisation(oauth_recap, slack, media_server):  # noqa: F811
    assistant, oauth, base = oauth_recap
    await oauth.installation_store.async_save(
        Installation(
            enterprise_id=GRID,
            team_id=None,
            is_enterprise_install=True,
            bot_token=fs.BOT_TOKEN,
            bot_id=fs.BOT_ID,
            bot_user_id=fs.BOT_USER_ID,
            bot_scopes="chat:write",
            user_id=fs.USER_ID,
        )
    )
    event = fs.message(media_server.url("site/bees.html"), ts="1700004000.000100", team_id=OTHER_TEAM)
    delivery = await deliver(f"{base}/slack/events", grid_event(event, OTHER_TEAM, org_wide=True))
    assert delivery.status == 200
    # The job has only the workspace's id; it still finds the organisation's token and posts.
    calls = await slack.wait_for_async("chat.postMessage", 2, timeout=30)
    assert all(c.headers["authorization"] == f"Bearer {fs.BOT_TOKEN}" for c in calls)
    assert len(slack.digests(fs.CHANNEL_ID, "1700004000.000100")) == 1
    await assistant.runner.drain()


async def test_a_job_rotates_an_expiring_token_before_it_posts(oauth_recap, slack):  # noqa: F811
    assistant, oauth, base = oauth_recap
    expired, refresh = fake_oauth.issue(slack, expires_in=0)  # Slack refuses it already
    await oauth.installation_store.async_save(
        Installation(
            team_id=fs.TEAM_ID,
            bot_token=expired,
            bot_refresh_token=refresh,
            bot_token_expires_at=int(time.time()) + 60,  # inside the rotation window
            bot_id=fs.BOT_ID,
            bot_user_id=fs.BOT_USER_ID,
            bot_scopes="chat:write",
            user_id=fs.USER_ID,
        )
    )
    chat = assistant.chats["slack"]  # what a job posts through, long after any event
    await chat.post(Place("slack", fs.TEAM_ID, fs.CHANNEL_ID, "1700004100.000100"), Notice("first"))
    await chat.post(Place("slack", fs.TEAM_ID, fs.CHANNEL_ID, "1700004100.000100"), Notice("second"))

    (rotation,) = slack.calls_to("oauth.v2.access", ok=True)  # once: the new token lasts
    assert rotation.params["grant_type"] == "refresh_token" and rotation.params["refresh_token"] == refresh
    fresh = rotation.response["access_token"]
    assert [c.headers["authorization"] for c in slack.calls_to("chat.postMessage")] == [f"Bearer {fresh}"] * 2
    bot = await oauth.installation_store.async_find_bot(enterprise_id=None, team_id=fs.TEAM_ID)
    assert bot.bot_token == fresh and bot.bot_refresh_token == rotation.response["refresh_token"]
    assert bot.bot_token_expires_at > time.time() + 3600


async def test_a_token_that_cannot_be_rotated_is_not_silently_used(oauth_recap, slack):  # noqa: F811
    from slack_sdk.oauth.token_rotation.async_rotator import SlackTokenRotationError

    assistant, oauth, base = oauth_recap
    expired, _ = fake_oauth.issue(slack, expires_in=0)
    await oauth.installation_store.async_save(
        Installation(
            team_id=fs.TEAM_ID,
            bot_token=expired,
            bot_refresh_token="xoxe-1-revoked",
            bot_token_expires_at=int(time.time()) + 60,
            bot_id=fs.BOT_ID,
            bot_user_id=fs.BOT_USER_ID,
            user_id=fs.USER_ID,
        )
    )
    with pytest.raises(SlackTokenRotationError):
        await assistant.chats["slack"].post(Place("slack", fs.TEAM_ID, fs.CHANNEL_ID), Notice("x"))
    assert slack.calls_to("chat.postMessage") == []


async def test_socket_mode_with_oauth_serves_the_install_page_and_no_event_endpoint(tmp_path, slack):  # noqa: F811
    from cryptography.fernet import Fernet

    from adapters.slack.app import build_app
    from adapters.slack.run import listen, oauth_settings
    from bot.app import build_assistant, build_installations, build_secret_box
    from bot.health import Health
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'sock.sqlite3'}",
        slack_client_id=fake_oauth.CLIENT_ID,
        slack_client_secret=fake_oauth.CLIENT_SECRET,
        slack_app_token=fs.APP_TOKEN,
        secret_key=Fernet.generate_key().decode(),
    )
    assistant = build_assistant(settings)
    oauth = oauth_settings(
        fake_oauth.CLIENT_ID, fake_oauth.CLIENT_SECRET, *build_installations(assistant, build_secret_box(settings))
    )
    app = build_app(assistant, token=None, signing_secret="unused", api_url=slack.api_url, oauth_settings=oauth)
    port = free_port()
    async with SocketModeEnd() as end:
        slack.socket_url = end.url
        stop = await listen(app, settings, port, Health(assistant.service.store.engine, "slack", None))
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/slack/install", allow_redirects=False) as page:
                    body = await page.text()
                async with session.post(f"http://127.0.0.1:{port}/slack/events", data=b"{}") as events:
                    assert events.status in (404, 405)  # events come through the socket only
        finally:
            await stop()
    assert page.status == 200
    (authorize,) = re.findall(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', body)
    assert parse_qs(urlsplit(html.unescape(authorize)).query)["client_id"] == [fake_oauth.CLIENT_ID]


def test_recap_migrate_creates_the_oauth_tables(tmp_path, monkeypatch, capsys):
    from adapters.cli.commands import main

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    monkeypatch.setenv("RECAP_DATABASE_URL", url)
    assert main(["migrate"]) == 0, capsys.readouterr().err
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"installations", "oauth_states"} <= tables
    assert not {"slack_installations", "slack_bots"} & tables  # slack_sdk's own plaintext tables: never


async def test_a_worker_of_an_oauth_app_posts_with_the_workspaces_own_rotated_token(tmp_path, slack):  # noqa: F811
    """Workers mode: no events, no bolt; a worker finds the installation and rotates its token itself."""
    from cryptography.fernet import Fernet

    from adapters.slack.installations import SlackInstallationStore
    from bot.app import build_rest_chats, build_secret_box
    from bot.installations import Installations
    from bot.settings import Settings
    from bot.store import Store

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        slack_client_id=fake_oauth.CLIENT_ID,
        slack_client_secret=fake_oauth.CLIENT_SECRET,
        slack_api_url=slack.api_url,
        secret_key=Fernet.generate_key().decode(),
    )
    expired, refresh = fake_oauth.issue(slack, expires_in=0)
    installed = SlackInstallationStore(Installations(Store.open(settings.database_url), build_secret_box(settings)))
    await installed.async_save(
        Installation(
            team_id=fs.TEAM_ID,
            bot_token=expired,
            bot_refresh_token=refresh,
            bot_token_expires_at=int(time.time()) + 60,
            bot_user_id=fs.BOT_USER_ID,
            user_id=fs.USER_ID,
        )
    )
    chats, _ = build_rest_chats(settings)
    await chats["slack"].post(Place("slack", fs.TEAM_ID, fs.CHANNEL_ID, "1700004200.000100"), Notice("done"))
    (rotation,) = slack.calls_to("oauth.v2.access", ok=True)
    (post,) = slack.calls_to("chat.postMessage")
    assert post.ok and post.headers["authorization"] == f"Bearer {rotation.response['access_token']}"
