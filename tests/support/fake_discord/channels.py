"""REST routes for the guild, its channels and threads."""

from __future__ import annotations

from .constants import (
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DM,
    FORUM,
    MANAGE_THREADS,
    NEWS,
    NEWS_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    TEXT,
    THREAD_TYPES,
)
from .guild import BOT_ID, GUILD_ID, now_iso, snowflake, thread_payload
from .limits import (
    DiscordError,
    channel_errors,
    message_errors,
    not_found,
    thread_errors,
)


class ChannelRoutes:
    """The guild, channel and thread routes of FakeDiscord (mixed into it)."""

    async def _get_guild(self, request, record, guild_id):
        if guild_id != str(GUILD_ID):
            raise not_found("Guild", 10004)
        data = self._guild_create()
        for key in (
            "joined_at",
            "large",
            "unavailable",
            "lazy",
            "member_count",
            "voice_states",
            "members",
            "channels",
            "threads",
            "presences",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
            "embedded_activities",
            "activity_instances",
            "application_command_counts",
            "version",
        ):
            data.pop(key, None)
        return 200, data

    async def _get_guild_channels(self, request, record, guild_id):
        if guild_id != str(GUILD_ID):
            raise not_found("Guild", 10004)
        return 200, [c for c in self.channels.values() if c["type"] not in THREAD_TYPES + (DM,)]

    async def _get_member(self, request, record, guild_id, user_id):
        if guild_id != str(GUILD_ID):
            raise not_found("Guild", 10004)
        if user_id not in self.members:
            raise not_found("Member", 10007)
        return 200, self._member(user_id, with_user=True)

    async def _get_channel(self, request, record, channel_id):
        return 200, self._channel(channel_id)

    async def _patch_channel(self, request, record, channel_id):
        channel = self._channel(channel_id)
        body = record.json or {}
        channel_errors(body)
        if channel["type"] in THREAD_TYPES:
            if channel["owner_id"] != str(BOT_ID):
                self._require(channel, MANAGE_THREADS)
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = now_iso()
        for key in ("name", "topic", "rate_limit_per_user", "nsfw"):
            if key in body:
                channel[key] = body[key]
        event = "THREAD_UPDATE" if channel["type"] in THREAD_TYPES else "CHANNEL_UPDATE"
        self._emit_soon(event, channel)
        return 200, channel

    # threads

    async def _thread_from_message(self, request, record, channel_id, message_id):
        channel = self._channel(channel_id)
        if channel["type"] not in (TEXT, NEWS):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        message = self._channel_message(channel_id, message_id)
        self._require(channel, CREATE_PUBLIC_THREADS, READ_MESSAGE_HISTORY)
        if message_id in self.channels:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body = record.json or {}
        thread_errors(body)
        thread = thread_payload(
            message_id,
            channel_id,
            body["name"],
            BOT_ID,
            ttype=NEWS_THREAD if channel["type"] == NEWS else PUBLIC_THREAD,
            auto_archive=body.get("auto_archive_duration") or 1440,
        )
        thread["rate_limit_per_user"] = body.get("rate_limit_per_user") or 0
        self.channels[message_id] = thread
        message["thread"] = {k: v for k, v in thread.items() if k != "member"}
        message["flags"] |= 1 << 5  # HAS_THREAD
        self._emit_soon("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _thread_without_message(self, request, record, channel_id):
        channel = self._channel(channel_id)
        body = record.json or {}
        if channel["type"] == FORUM:
            self._require(channel, SEND_MESSAGES)
            thread_errors(body)
            starter = body.get("message") or {}
            message_errors(starter, files=record.files, prefix=("message",))
            thread_id = str(snowflake())
            thread = thread_payload(
                thread_id, channel_id, body["name"], BOT_ID, auto_archive=body.get("auto_archive_duration") or 1440
            )
            thread["applied_tags"] = body.get("applied_tags") or []
            self.channels[thread_id] = thread
            msg = self._new_message(thread, starter, record.files, message_id=thread_id)
            msg.pop("message_reference", None)
            self._store_message(msg)
            channel["last_message_id"] = thread_id
            self._emit_soon("THREAD_CREATE", {**thread, "newly_created": True})
            self._emit_soon("MESSAGE_CREATE", self._gateway_message(msg))
            return 201, {**thread, "message": msg}
        if channel["type"] not in (TEXT, NEWS):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        ttype = body.get("type") or PRIVATE_THREAD  # Discord's default in v10
        self._require(channel, CREATE_PRIVATE_THREADS if ttype == PRIVATE_THREAD else CREATE_PUBLIC_THREADS)
        thread_errors(body)
        thread_id = str(snowflake())
        thread = thread_payload(
            thread_id,
            channel_id,
            body["name"],
            BOT_ID,
            ttype=ttype,
            auto_archive=body.get("auto_archive_duration") or 1440,
        )
        if ttype == PRIVATE_THREAD and "invitable" in body:
            thread["thread_metadata"]["invitable"] = bool(body["invitable"])
        self.channels[thread_id] = thread
        self._emit_soon("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _join_thread(self, request, record, channel_id):
        thread = self._channel(channel_id)
        if thread["type"] not in THREAD_TYPES:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if "member" not in thread:
            thread["member"] = {"id": channel_id, "user_id": str(BOT_ID), "join_timestamp": now_iso(), "flags": 1}
            thread["member_count"] += 1
        return 204, None

    async def _leave_thread(self, request, record, channel_id):
        thread = self._channel(channel_id)
        if thread.pop("member", None) is not None:
            thread["member_count"] -= 1
        return 204, None
