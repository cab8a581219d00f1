"""Where recap keeps the installations of its chat apps (one per workspace that installed it, each
holding that workspace's tokens) and the one-time states of OAuth installs in progress.

Chat-neutral: a platform's adapter decides what an installation holds; this module only keeps it
as a sealed blob, by (platform, enterprise, team), in the same database as everything else.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from .secretbox import SecretBox
from .store import Store
from .tables import InstallationRow, OAuthStateRow, now

log = logging.getLogger(__name__)


class Installations:
    def __init__(self, store: Store, box: SecretBox) -> None:
        self.engine = store.engine
        self.box = box

    def save(self, platform: str, enterprise: str | None, team: str | None, data: dict[str, Any]) -> None:
        """Keep `data` sealed as the installation of (enterprise, team), replacing the one before."""
        sealed = self.box.seal(json.dumps(data).encode())
        with Session(self.engine) as s, s.begin():
            row = s.exec(_exactly(platform, enterprise, team)).first()
            if row is None:
                row = InstallationRow(platform=platform, enterprise=enterprise or "", team=team or "", sealed=sealed)
            row.sealed = sealed
            row.updated_at = now()
            s.add(row)

    def find(self, platform: str, enterprise: str | None, team: str | None) -> dict[str, Any] | None:
        """The installation of `team`. With no enterprise given, a team's installation is found under
        whichever enterprise it belongs to: a team id names one team on its platform, and callers that
        know only the workspace (the team) must still find the installs of an Enterprise Grid."""
        query = _exactly(platform, enterprise, team)
        if enterprise is None and team:
            query = (
                select(InstallationRow)
                .where(InstallationRow.platform == platform, InstallationRow.team == team)
                .order_by(col(InstallationRow.updated_at).desc())
            )
        with Session(self.engine) as s:
            row = s.exec(query).first()
            return json.loads(self.box.open(row.sealed)) if row else None

    def delete(self, platform: str, enterprise: str | None, team: str | None) -> None:
        with Session(self.engine) as s, s.begin():
            s.exec(delete(InstallationRow).where(*_key(platform, enterprise, team)))


class OAuthStates:
    """The `state` of an OAuth install: issued to the browser that starts it, accepted once, from any
    of recap's processes, within its time to live."""

    def __init__(self, store: Store, ttl: timedelta = timedelta(minutes=10)) -> None:
        self.engine = store.engine
        self.ttl = ttl

    def issue(self) -> str:
        state = secrets.token_urlsafe(32)
        with Session(self.engine) as s, s.begin():
            s.exec(delete(OAuthStateRow).where(col(OAuthStateRow.expires_at) <= now()))  # abandoned installs
            s.add(OAuthStateRow(state=state, expires_at=now() + self.ttl))
        return state

    def consume(self, state: str) -> bool:
        """True once for a state issued and not yet expired; a replayed callback gets False."""
        with Session(self.engine) as s, s.begin():
            deleted = s.exec(
                delete(OAuthStateRow).where(col(OAuthStateRow.state) == state, col(OAuthStateRow.expires_at) > now())
            )
            return deleted.rowcount == 1


def _key(platform: str, enterprise: str | None, team: str | None) -> tuple[ColumnElement[bool], ...]:
    return (
        col(InstallationRow.platform) == platform,
        col(InstallationRow.enterprise) == (enterprise or ""),
        col(InstallationRow.team) == (team or ""),
    )


def _exactly(platform: str, enterprise: str | None, team: str | None) -> SelectOfScalar[InstallationRow]:
    return select(InstallationRow).where(*_key(platform, enterprise, team))


def warn_of_plaintext_tables(store: Store) -> None:
    """Before installations were sealed, slack_sdk kept them in tables of its own, in clear."""
    from sqlalchemy import inspect

    old = [t for t in ("slack_installations", "slack_bots") if inspect(store.engine).has_table(t)]
    if old:
        log.warning(
            "tables %s hold Slack tokens in plaintext from an earlier recap and are no longer read: "
            "install the app into each workspace again, then drop them",
            ", ".join(old),
        )
