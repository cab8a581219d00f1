"""What the chat side of recap remembers: deliveries it claimed, which video each thread is about,
and per-channel settings. Same database as the video store; the jobs it owes are in jobstore.py."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .chat import Place
from .store import Store
from .tables import ChannelSettingsRow, DeliveryRow, ThreadRow, UsageRow


@dataclass(frozen=True)
class ChannelSettings:
    auto_summarize: bool = True
    language: str | None = None
    writer: str | None = None
    every_reply: bool = False  # answer every reply in a digest thread, not only those addressed to recap


@dataclass(frozen=True)
class Quota:
    """At most `limit` requests counted in `scope` since `since`."""

    scope: str
    limit: int
    since: datetime


# PostgreSQL advisory locks in their two-number form: (this space, a scope's hash) serialises the
# requests of one scope; (the sweep's space, 0) lets one process at a time delete old usage.
USAGE_LOCKS = 0x75736167  # "usag"
SWEEP_LOCK = 0x75737765  # "uswe"


def channel_key(place: Place) -> str:
    return f"{place.platform}:{place.workspace}:{place.channel}"


class ChatStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed, False for every retry or duplicate after it."""
        try:
            with Session(self.engine) as s, s.begin():
                s.add(DeliveryRow(key=key))
            return True
        except IntegrityError:
            return False

    def release(self, key: str) -> None:
        """Undo a claim: the thing it stood for failed or was refused, and may be asked for again."""
        with Session(self.engine) as s, s.begin():
            s.exec(delete(DeliveryRow).where(col(DeliveryRow.key) == key))

    def remember_thread(self, place: Place, video_key: str, url: str) -> None:
        with Session(self.engine) as s, s.begin():
            s.merge(
                ThreadRow(
                    conversation_id=place.conversation_id, channel_key=channel_key(place), video_key=video_key, url=url
                )
            )

    def thread_video(self, place: Place) -> str | None:
        """The link of the video `place`'s thread is about, if it is about one."""
        with Session(self.engine) as s:
            row = s.get(ThreadRow, place.conversation_id)
            return row.url if row else None

    def recap_spoke_last(self, place: Place, spoke: bool | None = None) -> bool:
        """Whether recap's message is the last in `place`'s thread; `spoke` records who speaks now."""
        with Session(self.engine) as s, s.begin():
            row = s.get(ThreadRow, place.conversation_id)
            if row is None:
                return False
            before = row.recap_spoke_last
            if spoke is not None and spoke != before:
                row.recap_spoke_last = spoke
                s.add(row)
            return before

    def recent_threads(self, platform: str, workspace: str, limit: int) -> list[tuple[Place, str]]:
        """The workspace's latest digest threads, newest first, with their video keys."""
        prefix = f"{platform}:{workspace}:"
        with Session(self.engine) as s:
            rows = s.exec(
                select(ThreadRow)
                .where(col(ThreadRow.channel_key).startswith(prefix, autoescape=True))
                .order_by(col(ThreadRow.created_at).desc())
                .limit(limit)
            ).all()
        found = []
        for row in rows:
            channel = row.channel_key[len(prefix) :]
            thread = row.conversation_id.rsplit(":", 1)[1]
            found.append((Place(platform, workspace, channel, None if thread == "-" else thread), row.video_key))
        return found

    def last_thread(self, place: Place) -> tuple[Place, str] | None:
        """The thread and link of the video most recently summarised in `place`'s channel."""
        with Session(self.engine) as s:
            row = s.exec(
                select(ThreadRow)
                .where(ThreadRow.channel_key == channel_key(place))
                .order_by(col(ThreadRow.created_at).desc())
            ).first()
        if row is None:
            return None
        thread = row.conversation_id.rsplit(":", 1)[1]
        return Place(place.platform, place.workspace, place.channel, None if thread == "-" else thread), row.url

    def settings(self, place: Place) -> ChannelSettings:
        with Session(self.engine) as s:
            row = s.get(ChannelSettingsRow, channel_key(place))
            return (
                ChannelSettings(row.auto_summarize, row.language, row.writer, row.every_reply)
                if row
                else ChannelSettings()
            )

    def save_settings(self, place: Place, settings: ChannelSettings) -> None:
        with Session(self.engine) as s, s.begin():
            s.merge(
                ChannelSettingsRow(
                    channel_key=channel_key(place),
                    auto_summarize=settings.auto_summarize,
                    language=settings.language,
                    writer=settings.writer,
                    every_reply=settings.every_reply,
                )
            )

    def count_request(
        self, quotas: list[Quota], kind: str, at: datetime, forget_before: datetime | None = None
    ) -> Quota | None:
        """Count one request of `kind` at `at` in every quota's scope, unless that takes one of them
        over its limit: then count nothing and return the first such quota. Concurrent calls for the
        same scope, from any process, take turns, so together they never exceed a limit.
        `forget_before`: also delete the usage older than that, which no window looks at any more."""
        with Session(self.engine) as s:
            if self.engine.dialect.name == "postgresql":
                # Taken in one order by every caller (sorted): two requests may wait, never deadlock.
                for key in sorted({_lock_key(q.scope) for q in quotas}):
                    s.connection().execute(
                        text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": USAGE_LOCKS, "key": key}
                    )
            # Written first: on SQLite the first write takes the database's write lock for the rest of
            # the transaction, so no other process can count in between (PostgreSQL has the locks above).
            s.exec(insert(UsageRow), params=[{"scope": q.scope, "kind": kind, "at": at} for q in quotas])
            for quota in quotas:
                used = s.exec(
                    select(func.count())
                    .select_from(UsageRow)
                    .where(UsageRow.scope == quota.scope, UsageRow.at >= quota.since)
                ).one()
                if used > quota.limit:
                    s.rollback()
                    return quota
            if forget_before is not None and self._may_sweep(s):
                s.exec(delete(UsageRow).where(col(UsageRow.at) < forget_before))
            s.commit()
            return None

    def _may_sweep(self, s: Session) -> bool:
        """Two processes deleting the same old rows could deadlock on PostgreSQL: one sweeps, the other
        leaves it to the next time. (SQLite's writers already take turns.)"""
        if self.engine.dialect.name != "postgresql":
            return True
        locked = s.connection().execute(text("SELECT pg_try_advisory_xact_lock(:space, 0)"), {"space": SWEEP_LOCK})
        return bool(locked.scalar())

    def usage(self, scope: str, since: datetime) -> int:
        """How many requests `scope` has had counted since `since`."""
        with Session(self.engine) as s:
            return s.exec(
                select(func.count()).select_from(UsageRow).where(UsageRow.scope == scope, UsageRow.at >= since)
            ).one()


def _lock_key(scope: str) -> int:
    """A stable 32-bit number for `scope` (Python's hash() differs between processes)."""
    return int.from_bytes(hashlib.blake2b(scope.encode(), digest_size=4).digest(), "big", signed=True)
