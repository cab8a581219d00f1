"""The synthesized guild: its fixed ids and token, fresh snowflakes, users, members, channels.

One guild ("Recap Test Server") with #general, #random, the forum #recaps, an existing thread in
#general and alice's DM with the bot; alice owns it, bob is another human, otherbot another bot.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time

from .constants import (
    ADMINISTRATOR,
    DISCORD_EPOCH,
    DM,
    FORUM,
    GUILD_MEMBERS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    THREAD_TYPES,
)
from .records import IdMap

BOT_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GfAkEd.fake-bot-token-for-tests-only-0000000000"
APP_ID = BOT_ID = 1300000000000000001  # new applications: the bot user's id is the application id
BOT_NAME = "recap"
GUILD_ID = 1300000000000000100
GUILD_NAME = "Recap Test Server"
CHANNEL_ID = 1300000000000000200  # text channel "general"
CHANNEL_NAME = "general"
OTHER_CHANNEL_ID = 1300000000000000201  # text channel "random"
FORUM_ID = 1300000000000000300  # forum channel "recaps"
THREAD_ID = 1300000000000000400  # an existing public thread in #general, started by alice
ALICE_ID = 1300000000000000500  # the guild owner, a human
BOB_ID = 1300000000000000501  # another human
OTHER_BOT_ID = 1300000000000000502  # some other bot in the guild
BOT_ROLE_ID = 1300000000000000600  # the bot's managed role
DM_CHANNEL_ID = 1300000000000000700  # alice <-> bot DM channel

_last_snowflake = 0


def snowflake() -> int:
    """A fresh Discord id: milliseconds since the Discord epoch << 22, unique and increasing."""
    global _last_snowflake
    value = ((int(time.time() * 1000) - DISCORD_EPOCH) << 22) | (1 << 17)
    if value <= _last_snowflake:
        value = _last_snowflake + 1
    _last_snowflake = value
    return value


def snowflake_iso(value: int | str) -> str:
    ms = (int(value) >> 22) + DISCORD_EPOCH
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user_payload(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> dict:
    data = {
        "id": str(user_id),
        "username": username,
        "global_name": global_name,
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if bot:
        data["bot"] = True
    return data


JOINED = "2024-01-15T10:00:00.000000+00:00"  # when everyone (the bot included) joined the guild


def initial_users(bot_user: dict) -> IdMap:
    users: IdMap = IdMap()
    for u in (
        bot_user,
        user_payload(ALICE_ID, "alice", global_name="Alice"),
        user_payload(BOB_ID, "bob", global_name="Bob"),
        user_payload(OTHER_BOT_ID, "otherbot", bot=True),
    ):
        users[u["id"]] = u
    return users


def initial_members(users: IdMap) -> IdMap:
    """Guild members by user id."""
    members: IdMap = IdMap()
    for uid, roles in ((BOT_ID, [str(BOT_ROLE_ID)]), (ALICE_ID, []), (BOB_ID, []), (OTHER_BOT_ID, [])):
        members[uid] = {
            "user": users[uid],
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": roles,
            "joined_at": JOINED,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
    return members


def initial_channels(users: IdMap) -> IdMap:
    """The guild's channels, its existing thread and alice's DM, by id."""
    channels: IdMap = IdMap()
    for cid, name, ctype, position in (
        (CHANNEL_ID, CHANNEL_NAME, TEXT, 0),
        (OTHER_CHANNEL_ID, "random", TEXT, 1),
        (FORUM_ID, "recaps", FORUM, 2),
    ):
        channel = {
            "id": str(cid),
            "type": ctype,
            "guild_id": str(GUILD_ID),
            "name": name,
            "position": position,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "permission_overwrites": [],
            "flags": 0,
        }
        if ctype == FORUM:
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
                default_auto_archive_duration=1440,
            )
        channels[cid] = channel
    channels[THREAD_ID] = thread_payload(THREAD_ID, CHANNEL_ID, "earlier chat", ALICE_ID, joined=False)
    channels[DM_CHANNEL_ID] = {
        "id": str(DM_CHANNEL_ID),
        "type": DM,
        "last_message_id": None,
        "flags": 0,
        "recipients": [users[ALICE_ID]],
    }
    return channels


def thread_payload(
    thread_id: int | str,
    parent_id: int | str,
    name: str,
    owner_id: int | str,
    *,
    ttype: int = PUBLIC_THREAD,
    auto_archive: int = 1440,
    joined: bool = True,
) -> dict:
    """A thread channel as Discord stores it; `joined`: the bot is a member (it is of the threads it starts)."""
    now = now_iso()
    thread = {
        "id": str(thread_id),
        "type": ttype,
        "guild_id": str(GUILD_ID),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive,
            "archive_timestamp": now,
            "locked": False,
            "create_timestamp": now,
        },
    }
    if ttype == PRIVATE_THREAD:
        thread["thread_metadata"]["invitable"] = True
    if joined:
        thread["member"] = {"id": str(thread_id), "user_id": str(BOT_ID), "join_timestamp": now, "flags": 1}
    return thread


class Guild:
    """FakeDiscord's view of who is in the guild and what they may do (mixed into FakeDiscord)."""

    def _user(self, user: int | str | dict) -> dict:
        if isinstance(user, dict):
            return user
        return self.users[user]

    def _member(self, user_id: int | str, *, with_user: bool = False, permissions: bool = False) -> dict:
        member = self.members.get(user_id)
        if member is None:
            member = {
                "user": self._user(user_id),
                "nick": None,
                "avatar": None,
                "roles": [],
                "joined_at": now_iso(),
                "premium_since": None,
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "communication_disabled_until": None,
            }
        member = copy.deepcopy(member)
        if not with_user:
            member.pop("user", None)
        if permissions:
            member["permissions"] = str(self._permissions_of(user_id))
        return member

    def _permissions_of(self, user_id: int | str) -> int:
        if str(user_id) == str(BOT_ID):
            perms = self.everyone_permissions | self.bot_permissions
        elif str(user_id) == str(ALICE_ID):
            perms = (1 << 41) - 1  # the owner
        else:
            perms = self.everyone_permissions
        return (1 << 41) - 1 if perms & ADMINISTRATOR else perms

    def _is_guild_channel(self, channel_id: int | str) -> bool:
        channel = self.channels.get(channel_id)
        return channel is None or channel["type"] != DM

    def _mentions(self, content: str, *, guild: bool) -> list[dict]:
        found = []
        for uid in dict.fromkeys(re.findall(r"<@!?(\d+)>", content or "")):
            if uid in self.users:
                user = copy.deepcopy(self.users[uid])
                if guild and uid in self.members:
                    user["member"] = self._member(uid)
                found.append(user)
        return found

    def _dm_channel(self, user_id: str) -> dict:
        for channel in self.channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == str(user_id):
                return channel
        channel = {
            "id": str(snowflake()),
            "type": DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self._user(user_id)],
        }
        self.channels[channel["id"]] = channel
        return channel

    def _guild_create(self) -> dict:
        intents = self._session.intents if self._session else 0
        members = list(self.members.values()) if intents & GUILD_MEMBERS else [self.members[BOT_ID]]
        roles = [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "description": None,
                "permissions": str(self.everyone_permissions),
                "position": 0,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "icon": None,
                "unicode_emoji": None,
                "flags": 0,
            },
            {
                "id": str(BOT_ROLE_ID),
                "name": BOT_NAME,
                "description": None,
                "permissions": str(self.bot_permissions),
                "position": 1,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "managed": True,
                "mentionable": False,
                "icon": None,
                "unicode_emoji": None,
                "flags": 0,
                "tags": {"bot_id": str(BOT_ID)},
            },
        ]
        channels = [
            {k: v for k, v in c.items() if k != "guild_id"}
            for c in self.channels.values()
            if c["type"] not in THREAD_TYPES + (DM,)
        ]
        threads = [copy.deepcopy(c) for c in self.threads if not c["thread_metadata"]["archived"]]
        return {
            "id": str(GUILD_ID),
            "name": GUILD_NAME,
            "icon": None,
            "description": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "owner_id": str(ALICE_ID),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(CHANNEL_ID),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw": False,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
            "hub_type": None,
            "latest_onboarding_question_id": None,
            "joined_at": JOINED,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(self.members),
            "voice_states": [],
            "members": copy.deepcopy(members),
            "channels": copy.deepcopy(channels),
            "threads": threads,
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "application_command_counts": {},
            "version": int(time.time() * 1000),
        }
