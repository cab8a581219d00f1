"""Live progress on stderr: a bar on a terminal, one plain line per step when piped to a log.

With several links, one display counts them ("Link 2 of 5") above the stage of the current one.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TaskProgressColumn, TextColumn

LABELS = {
    "probing": "Probing the link",
    "captions": "Looking for captions",
    "downloading": "Downloading audio",
    "transcribing": "Transcribing",
    "writing": "Writing the digest",
}


class ProgressReporter:
    """A `ProgressFn` for the pipeline; use as a context manager around the work."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._links: TaskID | None = None
        self._stage: str | None = None
        self._said = -1.0
        self._last = 0.0

    def __enter__(self) -> ProgressReporter:
        if self.live:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress:
            self._progress.stop()

    def link(self, number: int, count: int, label: str) -> None:
        """Work on link `number` of `count` starts (from 1); said only when there are several."""
        if count < 2:
            return
        said = f"Link {number} of {count}: {label}"
        if self._progress is not None:
            if self._links is None:
                self._links = self._progress.add_task(said, total=count)
            self._progress.update(self._links, description=said, completed=number - 1)
            if self._task is not None:  # the last stage of the previous link
                self._progress.remove_task(self._task)
                self._task = None
        else:
            self.console.print(f"[{number}/{count}] {label}", highlight=False, markup=False)
        self._stage = None

    def __call__(self, stage: str, fraction: float | None) -> None:
        label = LABELS.get(stage, stage)
        if self._progress is not None:
            if stage != self._stage:
                if self._task is not None:
                    self._progress.remove_task(self._task)
                self._task = self._progress.add_task(label, total=None if fraction is None else 1.0)
            if fraction is not None and self._task is not None:  # a task was added for the first stage
                self._progress.update(self._task, total=1.0, completed=fraction)
        else:
            self._plain(stage, label, fraction)
        self._stage = stage

    def _plain(self, stage: str, label: str, fraction: float | None) -> None:
        now = time.monotonic()
        if stage != self._stage:
            self._said, self._last = -1.0, 0.0
            if fraction is None or fraction < 1:
                self.console.print(f"{label}…", highlight=False)
        # Percentages at most every 5 s in a log: enough to see it move, not enough to flood it.
        if fraction is not None and fraction > self._said and (now - self._last >= 5 or fraction >= 1):
            if fraction > 0:
                self.console.print(f"{label}: {fraction:.0%}", highlight=False)
            self._said, self._last = fraction, now
