"""The jobs recap owes, in the database: written before they start, owned while they run.

Several processes may share a database. A job belongs to its platform (only a front end or worker
serving that platform can reply) and, while it runs, to one owner that keeps a lease on it with a
heartbeat. Taking a job is one conditional UPDATE, so two processes can never both take it: the
owner's own restart takes it back at once, anyone else only after the lease has run out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from .store import Store
from .tables import JobRow, now

UNFINISHED = ("pending", "running")


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    # False while a failure will be retried (workers mode): the user hears of it only at the last.
    final_attempt: bool = True


class JobStore:
    def __init__(self, store: Store, clock: Callable[[], datetime] = now) -> None:
        self.engine = store.engine
        self.clock = clock

    def add(
        self, kind: str, platform: str, workspace: str, payload: dict[str, Any], owner: str | None, lease_s: float
    ) -> Job:
        """A new job; with an owner it is taken by that owner from the start."""
        lease = self.clock() + timedelta(seconds=lease_s) if owner else None
        with Session(self.engine) as s, s.begin():
            row = JobRow(
                kind=kind,
                platform=platform,
                workspace=workspace,
                payload_json=json.dumps(payload),
                owner=owner,
                lease_until=lease,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            return Job(row.id, kind, payload)

    def take(self, job_id: int, owner: str, lease_s: float) -> bool:
        """Own an unfinished job: it is unowned, already ours, or its owner's lease ran out."""
        at = self.clock()
        with Session(self.engine) as s, s.begin():
            taken = s.exec(
                update(JobRow)
                .where(
                    col(JobRow.id) == job_id,
                    col(JobRow.status).in_(UNFINISHED),
                    or_(col(JobRow.owner).is_(None), col(JobRow.owner) == owner, col(JobRow.lease_until) < at),
                )
                .values(owner=owner, lease_until=at + timedelta(seconds=lease_s), updated_at=at)
            )
            return bool(taken.rowcount)

    def renew(self, job_ids: Iterable[int], owner: str, lease_s: float) -> None:
        """The heartbeat: keep the leases of the jobs this owner is running."""
        ids = list(job_ids)
        if not ids:
            return
        with Session(self.engine) as s, s.begin():
            s.exec(
                update(JobRow)
                .where(col(JobRow.id).in_(ids), col(JobRow.owner) == owner)
                .values(lease_until=self.clock() + timedelta(seconds=lease_s))
            )

    def takeable(self, platforms: Iterable[str] | None, owner: str, max_attempts: int = 3) -> list[Job]:
        """Unfinished jobs of `platforms` (None: any) this owner may take, oldest first."""
        query = select(JobRow).where(
            col(JobRow.status).in_(UNFINISHED),
            col(JobRow.attempts) < max_attempts,
            or_(
                col(JobRow.owner).is_(None),
                col(JobRow.owner) == owner,
                col(JobRow.lease_until) < self.clock(),
            ),
        )
        if platforms is not None:
            query = query.where(col(JobRow.platform).in_(list(platforms)))
        with Session(self.engine) as s:
            return [
                Job(r.id, r.kind, json.loads(r.payload_json))
                for r in s.exec(query.order_by(col(JobRow.id)))
                if r.id is not None
            ]

    def get(self, job_id: int) -> Job | None:
        with Session(self.engine) as s:
            row = s.get(JobRow, job_id)
            return Job(job_id, row.kind, json.loads(row.payload_json)) if row else None

    def status(self, job_id: int) -> str | None:
        with Session(self.engine) as s:
            row = s.get(JobRow, job_id)
            return row.status if row else None

    def update(self, job_id: int, status: str) -> None:
        with Session(self.engine) as s, s.begin():
            row = s.get(JobRow, job_id)
            if row is None:
                return
            row.status = status
            row.updated_at = self.clock()
            if status == "running":
                row.attempts += 1
            elif status not in UNFINISHED:
                row.owner, row.lease_until = None, None

    def release(self, job_id: int) -> None:
        """Hand an unfinished job back: nobody owns it, so the next process to look takes it."""
        with Session(self.engine) as s, s.begin():
            s.exec(
                update(JobRow)
                .where(col(JobRow.id) == job_id, col(JobRow.status).in_(UNFINISHED))
                .values(owner=None, lease_until=None)
            )

    def save_payload(self, job_id: int, payload: dict[str, Any]) -> None:
        """Remember what a job has done so far (the progress message it posted) for whoever resumes it."""
        with Session(self.engine) as s, s.begin():
            row = s.get(JobRow, job_id)
            if row is not None:
                row.payload_json = json.dumps(payload)
                row.updated_at = self.clock()
