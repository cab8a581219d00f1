"""Slack as people expect it of a native app: the "Recap this video" message shortcut, the App Home
tab, the settings modal admins open from it. The real bolt app against the fake Web API."""

from __future__ import annotations

import json

from adapters.slack import home
from adapters.slack.app import SHORTCUT_RECAP
from bot.assistant import RecentDigest
from bot.chat import Place
from tests.support import fake_slack as fs
from tests.test_slack import deliver, recap, settle, slack  # noqa: F401 - the fixtures


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def home_opened(user: str = fs.USER_ID, tab: str = "home") -> fs.Payload:
    return fs.event_callback(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME0001", "tab": tab, "event_ts": fs.new_ts()}
    )


async def test_the_shortcut_recaps_the_links_of_any_message_in_its_thread(recap, slack, media_server):  # noqa: F811
    assistant, url = recap
    someone_elses = {
        "user": "U0SOMEONE1",
        "ts": "1700002000.000100",
        "text": f"look <{media_server.url('site/bees.html')}>",
    }
    delivery = await deliver(
        url, fs.message_action(SHORTCUT_RECAP, someone_elses, response_url=slack.response_url("app"))
    )
    assert delivery.status == 200
    await settle(assistant, 1)
    (said,) = slack.calls_to("response_url")
    assert said.params["response_type"] == "ephemeral" and "this thread" in said.params["text"]
    (digest,) = slack.digests(fs.CHANNEL_ID, "1700002000.000100")  # in the message's own thread
    assert "Honey Bees" in digest["blocks"][0]["text"]["text"]


async def test_the_shortcut_in_a_channel_recap_is_not_in_says_so_instead_of_on_it(recap, slack, media_server):  # noqa: F811
    """Slack lets anyone use a message shortcut where the app was never invited; its "On it" would
    otherwise be the last word, the job failing later where nobody sees it."""
    assistant, url = recap
    slack.fail_next("chat.postMessage", "not_in_channel")
    message = {"user": "U0SOMEONE1", "ts": "1700002300.000100", "text": f"<{media_server.url('site/bees.html')}>"}
    await deliver(url, fs.message_action(SHORTCUT_RECAP, message, response_url=slack.response_url("app")))
    await settle(assistant, 1)
    told = [c.params["text"] for c in slack.calls_to("response_url")]
    assert any("invite @recap" in t for t in told)
    assert slack.calls_to("chat.postMessage", ok=True) == []  # nothing posted, no job left to fail
    # Invited, the same shortcut on the same message works: the refused link was let go.
    await deliver(url, fs.message_action(SHORTCUT_RECAP, message, response_url=slack.response_url("app")))
    await settle(assistant, 2)
    (digest,) = slack.digests(fs.CHANNEL_ID, "1700002300.000100")
    assert "Honey Bees" in digest["blocks"][0]["text"]["text"]


async def test_the_shortcut_posts_one_progress_message_that_becomes_the_digest(recap, slack, media_server):  # noqa: F811
    assistant, url = recap
    message = {"user": "U0SOMEONE1", "ts": "1700002400.000100", "text": f"<{media_server.url('site/bees.html')}>"}
    await deliver(url, fs.message_action(SHORTCUT_RECAP, message, response_url=slack.response_url("app")))
    await settle(assistant, 1)
    posted = [c.params for c in slack.calls_to("chat.postMessage", ok=True)]
    watching = [p for p in posted if "Watching" in json.dumps(p)]
    assert len(watching) == 1  # posted on request; the job edited it rather than post a second
    assert len(slack.digests(fs.CHANNEL_ID, "1700002400.000100")) == 1


async def test_the_shortcut_used_twice_on_a_message_posts_one_progress_message_and_one_digest(
    recap,  # noqa: F811
    slack,  # noqa: F811
    media_server,
):
    assistant, url = recap
    message = {"user": "U0SOMEONE1", "ts": "1700002500.000100", "text": f"<{media_server.url('site/bees.html')}>"}
    for _ in range(2):  # a double click, or two people at once
        await deliver(url, fs.message_action(SHORTCUT_RECAP, message, response_url=slack.response_url("app")))
    await settle(assistant, 2)
    posted = [c.params for c in slack.calls_to("chat.postMessage", ok=True)]
    assert len([p for p in posted if "Watching" in json.dumps(p)]) == 1
    assert len(slack.digests(fs.CHANNEL_ID, "1700002500.000100")) == 1
    told = [c.params["text"] for c in slack.calls_to("response_url")]
    assert any("already" in t for t in told)


async def test_the_shortcut_on_a_reply_uses_the_replys_thread_and_a_message_without_links_says_so(
    recap,  # noqa: F811
    slack,  # noqa: F811
    media_server,
):
    assistant, url = recap
    reply = {
        "user": fs.USER_ID,
        "ts": "1700002101.000100",
        "thread_ts": "1700002100.000100",
        "text": f"<{media_server.url('site/bees.html')}>",
    }
    await deliver(url, fs.message_action(SHORTCUT_RECAP, reply, response_url=slack.response_url("app")))
    await deliver(
        url,
        fs.message_action(
            SHORTCUT_RECAP,
            {"user": fs.USER_ID, "ts": "1700002200.000100", "text": "no links, just words"},
            response_url=slack.response_url("app"),
        ),
    )
    await settle(assistant, 2)
    assert len(slack.digests(fs.CHANNEL_ID, "1700002100.000100")) == 1
    told = [c.params["text"] for c in slack.calls_to("response_url")]
    assert "I found no video link there." in told
    assert slack.thread(fs.CHANNEL_ID, "1700002200.000100") == []


async def test_the_home_tab_lists_the_workspaces_recent_digests_with_links_to_their_threads(
    recap,  # noqa: F811
    slack,  # noqa: F811
    media_server,
):
    assistant, url = recap
    slack.add_user(fs.USER_ID, is_admin=False, is_owner=False)
    await deliver(url, fs.message(media_server.url("site/bees.html"), ts="1700003000.000100"))
    await settle(assistant, 1)  # one after the other: the newest digest is listed first
    await deliver(url, fs.message(media_server.url("site/bees.html"), channel="C0OTHER001", ts="1700003100.000100"))
    await settle(assistant, 2)
    await deliver(url, home_opened())
    (published,) = await slack.wait_for_async("views.publish")
    assert published.params["user_id"] == fs.USER_ID
    text = dumps(slack.homes[fs.USER_ID]["blocks"])
    assert "Paste a video link" in text  # how to use recap
    newest, older = (b["text"]["text"] for b in slack.homes[fs.USER_ID]["blocks"] if "Honey Bees" in dumps(b))
    assert newest.startswith(f"<https://{fs.TEAM_DOMAIN}.slack.com/archives/C0OTHER001/p1700003100000100|")
    assert "in <#C0OTHER001>" in newest and "in <#" + fs.CHANNEL_ID + ">" in older
    assert home.ACTION_OPEN_SETTINGS not in text  # no settings for people who are not admins


async def test_the_messages_tab_draws_no_home(recap, slack):  # noqa: F811
    assistant, url = recap
    await deliver(url, home_opened(tab="messages"))
    await deliver(url, fs.slash_command("help"))  # something that surely ran after it
    assert slack.calls_to("views.publish") == []


async def test_admins_change_a_channels_settings_from_the_home_tab(recap, slack, media_server):  # noqa: F811
    assistant, url = recap
    slack.add_user(fs.USER_ID, is_admin=True)
    await deliver(url, home_opened())
    await slack.wait_for_async("views.publish")
    assert home.ACTION_OPEN_SETTINGS in dumps(slack.homes[fs.USER_ID]["blocks"])
    await deliver(url, fs.block_actions(home.ACTION_OPEN_SETTINGS, channel="D0HOME0001"))
    (opened,) = await slack.wait_for_async("views.open")
    view = slack.views[opened.response["view"]["id"]]
    values = {
        home.CHANNEL_BLOCK: {
            home.CHANNEL_ACTION: {"type": "conversations_select", "selected_conversation": "C0QUIET01"}
        },
        "recap_settings_auto": {"auto": {"type": "static_select", "selected_option": {"value": "off"}}},
        "recap_settings_replies": {"replies": {"type": "static_select", "selected_option": {"value": "all"}}},
        "recap_settings_writer": {"writer": {"type": "static_select", "selected_option": None}},
        home.LANGUAGE_BLOCK: {home.LANGUAGE_ACTION: "fr"},
    }
    await deliver(url, fs.view_submission(home.SETTINGS_MODAL_CALLBACK, values, view=view))
    await slack.wait_for_async("views.publish", 2)
    assert "Saved." in dumps(slack.homes[fs.USER_ID]["blocks"])
    settings = assistant.store.settings(Place("slack", fs.TEAM_ID, "C0QUIET01"))
    assert (settings.auto_summarize, settings.every_reply, settings.language, settings.writer) == (
        False,
        True,
        "fr",
        None,
    )
    # The same modal from someone who is no admin (any more) changes nothing.
    slack.add_user(fs.USER_ID, is_admin=False, is_owner=False)
    values["recap_settings_auto"]["auto"]["selected_option"] = {"value": "on"}
    await deliver(url, fs.view_submission(home.SETTINGS_MODAL_CALLBACK, values, view=view))
    await slack.wait_for_async("views.publish", 3)
    assert "Only workspace or server admins" in dumps(slack.homes[fs.USER_ID]["blocks"])
    assert not assistant.store.settings(Place("slack", fs.TEAM_ID, "C0QUIET01")).auto_summarize


def test_the_home_tab_holds_within_slacks_limits_whatever_the_titles_say():
    hostile = "<!channel> *bold* <https://evil.example|click> &amp; " + "x" * 5000
    digests = [RecentDigest(hostile, Place("slack", "T1", f"C{i:08d}", f"17000000{i:02d}.000100")) for i in range(60)]
    view = home.home_view(digests, f"https://{fs.TEAM_DOMAIN}.slack.com/", admin=True, note="<!here> " * 2000)
    assert fs.validate_view(view) == []
    text = dumps(view)
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
    assert sum("/archives/" in dumps(b) for b in view["blocks"]) == home.SHOWN_DIGESTS
