"""Rate limits per user and per channel, and a daily budget per workspace, so one enthusiastic
channel cannot spend everyone's transcription time or API credit.

Requests are counted in the database: every process of one deployment counts against the same
limits, and a restart forgets none of them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .chat import Place
from .chatstore import ChatStore, Quota

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)  # the longest window: usage older than this is deleted
SWEEP_EVERY = 60.0  # seconds: deleting old usage on every request would cost a write each time
DM = "dm"  # the workspace of Discord's direct messages, which belong to no guild


@dataclass(frozen=True)
class LimitSettings:
    per_user_per_hour: int = 10
    per_channel_per_hour: int = 30
    digests_per_workspace_per_day: int = 200


class Limits:
    def __init__(self, settings: LimitSettings, store: ChatStore, clock: Callable[[], float] = time.time) -> None:
        """`clock`: seconds since the epoch. It is the time recorded in the database, so every process
        must share it: the wall clock, not time.monotonic."""
        self.settings = settings
        self.store = store
        self.clock = clock
        self._swept_at: float | None = None

    def refusal(self, place: Place, user: str, digest: bool) -> str | None:
        """Why this request may not run now, in words for the user; None if it may (and is counted)."""
        s = self.settings
        now = self.clock()
        at = datetime.fromtimestamp(now, UTC)
        quotas = {
            "user": Quota(f"user:{place.platform}:{place.workspace}:{user}", s.per_user_per_hour, at - HOUR),
            "channel": Quota(
                f"channel:{place.platform}:{place.workspace}:{place.channel}", s.per_channel_per_hour, at - HOUR
            ),
        }
        if digest:  # answers cost little; the budget is for digests, and it is checked first
            quotas = {"budget": Quota(budget_scope(place, user), s.digests_per_workspace_per_day, at - DAY), **quotas}
        sweep = self._swept_at is None or now - self._swept_at >= SWEEP_EVERY
        full = self.store.count_request(
            list(quotas.values()), "digest" if digest else "answer", at, forget_before=at - DAY if sweep else None
        )
        if full is None:
            self._swept_at = now if sweep else self._swept_at
            return None
        if full is quotas.get("budget"):
            return (
                f"This workspace has had its {s.digests_per_workspace_per_day} video digests for today; "
                "the budget renews within 24 hours."
            )
        if full is quotas["user"]:
            return f"You have asked for {s.per_user_per_hour} things in the last hour; please give recap a moment."
        return f"This channel has had {s.per_channel_per_hour} requests in the last hour; please try again later."


def budget_scope(place: Place, user: str) -> str:
    """Whose daily digest budget a request spends: its workspace's, or in direct messages (which share
    one pseudo-workspace) the person's own, so one person's DMs cannot spend everyone's budget."""
    if place.workspace == DM:
        return f"budget:{place.platform}:{DM}:{user}"
    return f"budget:{place.platform}:{place.workspace}"
