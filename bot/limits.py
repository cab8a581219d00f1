"""Rate limits per user and per channel, and a daily budget per workspace, so one enthusiastic
channel cannot spend everyone's transcription time or API credit."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable

from .chat import Place
from .chatstore import ChatStore

HOUR = 3600.0


@dataclass(frozen=True)
class LimitSettings:
    per_user_per_hour: int = 10
    per_channel_per_hour: int = 30
    digests_per_workspace_per_day: int = 200


class Limits:
    def __init__(self, settings: LimitSettings, store: ChatStore, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.store = store
        self.clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def refusal(self, place: Place, user: str, digest: bool) -> str | None:
        """Why this request may not run now, in words for the user; None if it may (and is counted)."""
        s = self.settings
        if digest and self.store.digests_today(place.workspace) >= s.digests_per_workspace_per_day:
            return (f"This workspace has had its {s.digests_per_workspace_per_day} video digests for today; "
                    "the budget renews within 24 hours.")
        user_key, channel_key = f"u:{place.workspace}:{user}", f"c:{place.workspace}:{place.channel}"
        if self._count(user_key) >= s.per_user_per_hour:
            return f"You have asked for {s.per_user_per_hour} things in the last hour; please give recap a moment."
        if self._count(channel_key) >= s.per_channel_per_hour:
            return f"This channel has had {s.per_channel_per_hour} requests in the last hour; please try again later."
        now = self.clock()
        self._seen[user_key].append(now)
        self._seen[channel_key].append(now)
        return None

    def _count(self, key: str) -> int:
        window, cutoff = self._seen[key], self.clock() - HOUR
        while window and window[0] < cutoff:
            window.popleft()
        return len(window)
