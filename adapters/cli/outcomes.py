"""How a run of several pieces of work (links, questions in a chat) ended, as one exit status."""

from __future__ import annotations

from dataclasses import dataclass, field

from summarizer.errors import BadInput, RecapError

OK, FAILED, BAD_INPUT = 0, 1, 2


@dataclass
class Outcomes:
    statuses: list[int] = field(default_factory=list)

    def add(self, status: int) -> None:
        self.statuses.append(status)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.statuses if s != OK)

    def exit_status(self) -> int:
        """0 when everything worked; 1 when something failed that trying again may fix (a script
        retrying should), else 2: only bad input failed, and the same input will fail again."""
        if FAILED in self.statuses:
            return FAILED
        return BAD_INPUT if BAD_INPUT in self.statuses else OK


def status_of(exc: RecapError) -> int:
    """2 when trying again with the same input cannot help, 1 when it might."""
    return BAD_INPUT if isinstance(exc, BadInput) else FAILED
