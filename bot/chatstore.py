"""What the chat side of recap remembers: deliveries it claimed, which video each thread is about,
jobs it owes, and per-channel settings. Same database as the video store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from .chat import Place
from .store import Store
from .tables import ChannelSettingsRow, DeliveryRow, JobRow, ThreadRow, now


@dataclass(frozen=True)
class ChannelSettings:
    auto_summarize: bool = True
    language: str | None = None
    writer: str | None = None


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict


def channel_key(place: Place) -> str:
    return f"{place.platform}:{place.workspace}:{place.channel}"


class ChatStore:
    def __init__(self, store: Store):
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
            s.exec(delete(DeliveryRow).where(DeliveryRow.key == key))

    def remember_thread(self, place: Place, video_key: str, url: str) -> None:
        with Session(self.engine) as s, s.begin():
            s.merge(ThreadRow(conversation_id=place.conversation_id, channel_key=channel_key(place),
                              video_key=video_key, url=url))

    def thread_video(self, place: Place) -> str | None:
        """The link of the video `place`'s thread is about, if it is about one."""
        with Session(self.engine) as s:
            row = s.get(ThreadRow, place.conversation_id)
            return row.url if row else None

    def last_thread(self, place: Place) -> tuple[Place, str] | None:
        """The thread and link of the video most recently summarised in `place`'s channel."""
        with Session(self.engine) as s:
            row = s.exec(select(ThreadRow).where(ThreadRow.channel_key == channel_key(place))
                         .order_by(ThreadRow.created_at.desc())).first()
        if row is None:
            return None
        thread = row.conversation_id.rsplit(":", 1)[1]
        return Place(place.platform, place.workspace, place.channel, None if thread == "-" else thread), row.url

    def settings(self, place: Place) -> ChannelSettings:
        with Session(self.engine) as s:
            row = s.get(ChannelSettingsRow, channel_key(place))
            return ChannelSettings(row.auto_summarize, row.language, row.writer) if row else ChannelSettings()

    def save_settings(self, place: Place, settings: ChannelSettings) -> None:
        with Session(self.engine) as s, s.begin():
            s.merge(ChannelSettingsRow(channel_key=channel_key(place), auto_summarize=settings.auto_summarize,
                                       language=settings.language, writer=settings.writer))

    # -- jobs ----------------------------------------------------------------------------------

    def add_job(self, kind: str, workspace: str, payload: dict) -> Job:
        with Session(self.engine) as s, s.begin():
            row = JobRow(kind=kind, workspace=workspace, payload_json=json.dumps(payload))
            s.add(row)
            s.flush()
            return Job(row.id, kind, payload)

    def update_job(self, job_id: int, status: str) -> None:
        with Session(self.engine) as s, s.begin():
            row = s.get(JobRow, job_id)
            row.status = status
            row.updated_at = now()
            if status == "running":
                row.attempts += 1

    def save_job_payload(self, job_id: int, payload: dict) -> None:
        """Remember what a job has done so far (the progress message it posted) for a resume."""
        with Session(self.engine) as s, s.begin():
            row = s.get(JobRow, job_id)
            row.payload_json = json.dumps(payload)
            row.updated_at = now()

    def unfinished_jobs(self, max_attempts: int = 3) -> list[Job]:
        """Jobs a previous process accepted and did not finish, oldest first."""
        with Session(self.engine) as s:
            rows = s.exec(select(JobRow).where(JobRow.status.in_(("pending", "running")),
                                               JobRow.attempts < max_attempts).order_by(JobRow.id))
            return [Job(r.id, r.kind, json.loads(r.payload_json)) for r in rows]

    def digests_today(self, workspace: str) -> int:
        since = datetime.now(timezone.utc) - timedelta(days=1)
        with Session(self.engine) as s:
            return s.exec(select(func.count()).select_from(JobRow).where(
                JobRow.workspace == workspace, JobRow.kind == "digest", JobRow.created_at >= since)).one()
