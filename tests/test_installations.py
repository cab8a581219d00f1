"""Installations of chat apps kept sealed, on real SQLite and real PostgreSQL, through slack_sdk's own
installation and OAuth state interfaces as bolt calls them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import text

from adapters.slack.installations import SlackInstallationStore, SlackOAuthStateStore
from bot.installations import Installations, OAuthStates
from bot.secretbox import SealedWithAnotherKey, SecretBox
from bot.store import Store
from summarizer.errors import NotConfigured

KEY = Fernet.generate_key().decode()
BOT_TOKEN = "xoxb-111-222-averysecretbottoken"
USER_TOKEN = "xoxp-111-222-averysecretusertoken"


def installation(team_id: str | None = "T0TEAM", enterprise_id: str | None = None, **more) -> Installation:
    fields = dict(
        app_id="A0APP",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name="Team",
        bot_token=BOT_TOKEN,
        bot_id="B0BOT",
        bot_user_id="U0BOT",
        bot_scopes="chat:write,commands",
        user_id="U0INSTALLER",
        user_token=USER_TOKEN,
        user_scopes="search:read",
    )
    return Installation(**{**fields, **more})


@pytest.fixture
def slack_store(store: Store) -> SlackInstallationStore:
    return SlackInstallationStore(Installations(store, SecretBox(KEY)))


async def test_no_token_is_readable_in_the_database(store: Store, slack_store: SlackInstallationStore):
    await slack_store.async_save(installation())
    with store.engine.connect() as c:
        rows = c.execute(text("SELECT * FROM installations")).all()
    assert len(rows) == 1
    stored = repr(rows).encode() + b"".join(bytes(v) for v in rows[0] if isinstance(v, (bytes, memoryview)))
    for secret in (BOT_TOKEN, USER_TOKEN, "xoxb-", "xoxp-", "averysecret"):
        assert secret.encode() not in stored
    assert rows[0].platform == "slack" and rows[0].team == "T0TEAM" and rows[0].enterprise == ""


async def test_a_workspace_installation_round_trips(slack_store: SlackInstallationStore):
    await slack_store.async_save(installation())
    bot = await slack_store.async_find_bot(enterprise_id=None, team_id="T0TEAM")
    assert bot.bot_token == BOT_TOKEN and bot.bot_user_id == "U0BOT" and bot.bot_scopes == ["chat:write", "commands"]
    found = await slack_store.async_find_installation(enterprise_id=None, team_id="T0TEAM")
    assert found.user_token == USER_TOKEN and found.bot_token == BOT_TOKEN and found.team_name == "Team"
    assert (
        await slack_store.async_find_installation(enterprise_id=None, team_id="T0TEAM", user_id="U0INSTALLER")
    ).user_token == USER_TOKEN
    assert await slack_store.async_find_installation(enterprise_id=None, team_id="T0TEAM", user_id="U0OTHER") is None
    assert await slack_store.async_find_bot(enterprise_id=None, team_id="T0ELSEWHERE") is None


async def test_an_enterprise_grid_install_is_found_by_enterprise_and_team_or_by_team(
    slack_store: SlackInstallationStore,
):
    await slack_store.async_save(installation(team_id="T0GRIDTEAM", enterprise_id="E0GRID"))
    assert (await slack_store.async_find_bot(enterprise_id="E0GRID", team_id="T0GRIDTEAM")).bot_token == BOT_TOKEN
    # Who knows only the workspace (a reply posted for a thread in it) finds it too.
    assert (await slack_store.async_find_bot(enterprise_id=None, team_id="T0GRIDTEAM")).bot_token == BOT_TOKEN
    assert await slack_store.async_find_bot(enterprise_id="E0OTHER", team_id="T0GRIDTEAM") is None

    # An org-wide install has no team: every workspace of the org finds it through the enterprise.
    await slack_store.async_save(installation(team_id=None, enterprise_id="E0ORG", is_enterprise_install=True))
    org = await slack_store.async_find_bot(enterprise_id="E0ORG", team_id="T0ANYTEAM", is_enterprise_install=True)
    assert org.bot_token == BOT_TOKEN and org.is_enterprise_install
    assert await slack_store.async_find_bot(enterprise_id=None, team_id=None) is None


async def test_installing_again_replaces_and_a_rotated_bot_token_is_served(slack_store: SlackInstallationStore):
    await slack_store.async_save(installation())
    await slack_store.async_save(installation(team_name="Renamed"))
    rotated = installation().to_bot()
    rotated.bot_token = "xoxb-rotated"
    await slack_store.async_save_bot(rotated)
    assert (await slack_store.async_find_bot(enterprise_id=None, team_id="T0TEAM")).bot_token == "xoxb-rotated"
    found = await slack_store.async_find_installation(enterprise_id=None, team_id="T0TEAM")
    assert found.bot_token == "xoxb-rotated" and found.team_name == "Renamed"


async def test_revoked_tokens_and_uninstalls_are_forgotten(store: Store, slack_store: SlackInstallationStore):
    await slack_store.async_save(installation())
    # tokens_revoked for the installer's user token: the bot keeps working.
    await slack_store.async_delete_installation(enterprise_id=None, team_id="T0TEAM", user_id="U0INSTALLER")
    found = await slack_store.async_find_installation(enterprise_id=None, team_id="T0TEAM")
    assert found.user_token is None and found.bot_token == BOT_TOKEN
    # tokens_revoked for the bot: nothing is left worth a row.
    await slack_store.async_delete_bot(enterprise_id=None, team_id="T0TEAM")
    assert await slack_store.async_find_bot(enterprise_id=None, team_id="T0TEAM") is None
    assert await slack_store.async_find_installation(enterprise_id=None, team_id="T0TEAM") is None

    await slack_store.async_save(installation())
    await slack_store.async_delete_all(enterprise_id=None, team_id="T0TEAM")  # app_uninstalled
    with store.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM installations")).scalar() == 0


async def test_another_key_cannot_open_an_installation(store: Store, slack_store: SlackInstallationStore):
    await slack_store.async_save(installation())
    stranger = SlackInstallationStore(Installations(store, SecretBox(Fernet.generate_key().decode())))
    with pytest.raises(SealedWithAnotherKey, match="RECAP_SECRET_KEY"):
        await stranger.async_find_bot(enterprise_id=None, team_id="T0TEAM")
    # Rotating: the new key first, the old one after it; saving again seals with the new key.
    new = Fernet.generate_key().decode()
    rotating = SlackInstallationStore(Installations(store, SecretBox(f"{new}, {KEY}")))
    await rotating.async_save(await rotating.async_find_installation(enterprise_id=None, team_id="T0TEAM"))
    only_new = SlackInstallationStore(Installations(store, SecretBox(new)))
    assert (await only_new.async_find_bot(enterprise_id=None, team_id="T0TEAM")).bot_token == BOT_TOKEN


@pytest.mark.parametrize("key", ["", "not-a-fernet-key", " , "])
def test_a_key_that_is_no_key_is_refused_by_name(key: str):
    with pytest.raises(NotConfigured, match="RECAP_SECRET_KEY"):
        SecretBox(key)


async def test_an_oauth_state_is_good_once_and_not_after_it_expires(store: Store):
    states = SlackOAuthStateStore(OAuthStates(store))
    state = await states.async_issue()
    assert len(state) >= 32
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False  # a replayed callback
    assert await states.async_consume("never-issued") is False
    stale = SlackOAuthStateStore(OAuthStates(store, ttl=timedelta(seconds=-1)))
    assert await stale.async_consume(await stale.async_issue()) is False
