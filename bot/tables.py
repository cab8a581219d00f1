"""The database tables. Values are stored as the JSON of their pydantic models: the schema of a
digest evolves with the product, the tables only index it by video, writer and language."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def now() -> datetime:
    return datetime.now(UTC)


class VideoRow(SQLModel, table=True):
    __tablename__ = "videos"

    key: str = Field(primary_key=True, max_length=128)
    url: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    channel: str | None = Field(default=None, sa_column=Column(Text))
    duration_s: float = 0.0
    language: str | None = Field(default=None, max_length=32)
    # [[title, start_s, end_s], ...] as the probe cleaned them; NULL for a video without chapters.
    chapters_json: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=now)


class TranscriptRow(SQLModel, table=True):
    __tablename__ = "transcripts"

    video_key: str = Field(primary_key=True, foreign_key="videos.key", max_length=128)
    source: str = Field(max_length=32)
    language: str | None = Field(default=None, max_length=32)
    segments_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=now)


class DigestRow(SQLModel, table=True):
    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("video_key", "writer", "language", name="uq_digests_video_key_writer_language"),)

    id: int | None = Field(default=None, primary_key=True)
    video_key: str = Field(foreign_key="videos.key", index=True, max_length=128)
    writer: str = Field(max_length=64)
    # The language the digest is written in as asked for; "" (not NULL, which a unique constraint
    # lets repeat) for "the video's own language".
    language: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    digest_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=now)


class ConversationRow(SQLModel, table=True):
    __tablename__ = "conversations"

    id: str = Field(primary_key=True, max_length=255)
    video_key: str = Field(foreign_key="videos.key", index=True, max_length=128)
    created_at: datetime = Field(default_factory=now)


class TurnRow(SQLModel, table=True):
    __tablename__ = "turns"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=255)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=now)


class DeliveryRow(SQLModel, table=True):
    """A thing recap has started to answer, by a key unique to it: a platform event id, or
    (channel, message, video). The primary key is the lock: a second delivery cannot insert it."""

    __tablename__ = "deliveries"

    key: str = Field(primary_key=True, max_length=255)
    created_at: datetime = Field(default_factory=now)


class ThreadRow(SQLModel, table=True):
    """Which video a chat thread is about, so a reply in it is a follow-up question."""

    __tablename__ = "threads"

    conversation_id: str = Field(primary_key=True, max_length=255)
    channel_key: str = Field(index=True, max_length=255)  # platform:workspace:channel
    video_key: str = Field(foreign_key="videos.key", max_length=128)
    url: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=now, index=True)
    # Whether the thread's last message is recap's: a question right after it is addressed to recap.
    recap_spoke_last: bool = True


class JobRow(SQLModel, table=True):
    """Work owed to a chat: kept until done, so a restart resumes it and finishes the reply."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_platform", "status", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    workspace: str = Field(index=True, max_length=255)
    payload_json: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True, max_length=16)
    platform: str = Field(default="", max_length=32)  # where the reply goes: only its front ends run it
    owner: str | None = Field(default=None, max_length=255)  # the process running it, while it runs
    lease_until: datetime | None = None  # the owner's heartbeat keeps this ahead; past it, anyone may take over
    attempts: int = 0
    created_at: datetime = Field(default_factory=now, index=True)
    updated_at: datetime = Field(default_factory=now)


class ChannelSettingsRow(SQLModel, table=True):
    __tablename__ = "channel_settings"

    channel_key: str = Field(primary_key=True, max_length=255)
    auto_summarize: bool = True
    language: str | None = Field(default=None, max_length=32)
    writer: str | None = Field(default=None, max_length=32)
    every_reply: bool = False  # answer every reply in a digest thread, not only those addressed to recap


class InstallationRow(SQLModel, table=True):
    """A chat platform's installation of recap into one workspace (its bot token and the like), as
    one sealed blob: the database alone never gives anyone a token. Enterprise and team are ""
    when absent (an org-wide install has no team), so the unique key holds for them too."""

    __tablename__ = "installations"
    __table_args__ = (
        UniqueConstraint("platform", "enterprise", "team", name="uq_installations_platform_enterprise_team"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    enterprise: str = Field(default="", max_length=64)
    team: str = Field(default="", index=True, max_length=64)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)


class OAuthStateRow(SQLModel, table=True):
    """A state handed to a browser starting an OAuth install, good for one callback before it expires."""

    __tablename__ = "oauth_states"

    state: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(index=True)


class UsageRow(SQLModel, table=True):
    """One counted request in one scope (a user, a channel, a workspace's digest budget), so every
    process counts the same limits and a restart forgets none. Rows older than the longest window
    are deleted as new ones are recorded."""

    __tablename__ = "usage"
    __table_args__ = (Index("ix_usage_scope_at", "scope", "at"),)  # the window count: one scope, recent rows

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # what was asked for ("digest", "answer"): for operators, not counted
    at: datetime = Field(index=True)  # from the limits' clock, not the database's: tests move it
