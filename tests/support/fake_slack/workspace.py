"""The fake workspace: the ids and tokens tests share with FakeSlack, and the users, channels and
bot profile it makes up for any id it is asked about (so tests need not declare them first)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import FakeSlack

TEAM_ID = "T0FAKETEAM"
TEAM_NAME = "Fake Workspace"
TEAM_DOMAIN = "fake-workspace"
APP_ID = "A0FAKEAPP"
BOT_ID = "B0FAKEBOT"
BOT_USER_ID = "U0FAKEBOT"
BOT_NAME = "recap"
USER_ID = "U0FAKEUSER"
USER_NAME = "alice"
CHANNEL_ID = "C0FAKECHAN"
CHANNEL_NAME = "general"
BOT_TOKEN = "xoxb-1234-5678-fakebottoken"
APP_TOKEN = "xapp-1-A0FAKEAPP-1234-fakeapptoken"
VERIFICATION_TOKEN = "fake-verification-token"
SCOPES = ",".join(
    [
        "app_mentions:read",
        "channels:history",
        "channels:read",
        "chat:write",
        "commands",
        "files:write",
        "groups:history",
        "im:history",
        "im:read",
        "mpim:history",
        "reactions:write",
        "users:read",
    ]
)


def channel_name(channel: str) -> str:
    """The name payloads carry for a channel id: CHANNEL_NAME for CHANNEL_ID, "directmessage" for an im."""
    if channel == CHANNEL_ID:
        return CHANNEL_NAME
    return "directmessage" if channel.startswith("D") else f"channel-{channel.lower()}"


def channel_type(channel: str) -> str:
    """Events' channel_type, read off the id's first letter as Slack's ids encode it."""
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def bot_profile(fake: FakeSlack) -> dict[str, Any]:
    return {
        "id": fake.bot_id,
        "deleted": False,
        "name": fake.bot_name,
        "updated": fake._ts_start,
        "app_id": fake.app_id,
        "icons": {
            "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png",
            "image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png",
            "image_72": "https://a.slack-edge.com/80588/img/plugins/app/service_72.png",
        },
        "team_id": fake.team_id,
    }


def synth_channel(fake: FakeSlack, cid: str) -> dict[str, Any]:
    """What conversations.info says about `cid` unless add_channel said otherwise."""
    base = {
        "id": cid,
        "created": fake._ts_start - 86_400 * 30,
        "is_archived": False,
        "is_org_shared": False,
        "is_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "context_team_id": fake.team_id,
        "updated": fake._ts_start * 1000,
    }
    if cid.startswith("D"):
        return {
            **base,
            "is_im": True,
            "is_mpim": False,
            "is_channel": False,
            "is_group": False,
            "is_private": True,
            "user": USER_ID,
            "is_user_deleted": False,
            "priority": 0,
            "is_open": True,
            "last_read": "0000000000.000000",
        }
    private = cid.startswith("G")
    name = channel_name(cid)
    return {
        **base,
        "name": name,
        "name_normalized": name,
        "is_channel": not private,
        "is_group": private,
        "is_im": False,
        "is_mpim": False,
        "is_private": private,
        "is_general": cid == CHANNEL_ID,
        "unlinked": 0,
        "is_member": True,
        "creator": USER_ID,
        "shared_team_ids": [fake.team_id],
        "pending_shared": [],
        "pending_connected_team_ids": [],
        "parent_conversation": None,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    }


def synth_user(fake: FakeSlack, uid: str) -> dict[str, Any]:
    """What users.info says about `uid` unless add_user said otherwise (the bot's own id is a bot)."""
    is_bot = uid == fake.bot_user_id
    name = fake.bot_name if is_bot else (USER_NAME if uid == USER_ID else f"user-{uid.lower()}")
    real = name.title()
    profile: dict[str, Any] = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": real,
        "real_name_normalized": real,
        "display_name": name,
        "display_name_normalized": name,
        "status_text": "",
        "status_emoji": "",
        "avatar_hash": "g0000000000",
        "first_name": real,
        "last_name": "",
        "team": fake.team_id,
        "image_24": "https://secure.gravatar.com/avatar/0.jpg?s=24",
        "image_48": "https://secure.gravatar.com/avatar/0.jpg?s=48",
        "image_72": "https://secure.gravatar.com/avatar/0.jpg?s=72",
    }
    if is_bot:
        profile.update({"bot_id": fake.bot_id, "api_app_id": fake.app_id, "always_active": True})
    return {
        "id": uid,
        "team_id": fake.team_id,
        "name": name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": real,
        "tz": "Europe/London",
        "tz_label": "Greenwich Mean Time",
        "tz_offset": 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": fake._ts_start,
        "is_email_confirmed": not is_bot,
        "who_can_share_contact_card": "EVERYONE",
    }
