"""The operator's cookies file (RECAP_COOKIES_FILE), read once and never written.

A YoutubeDL loads its `cookiefile` when it starts and writes the whole jar back when it closes, so
concurrent jobs sharing the operator's file rewrote it under each other and corrupted it. yt-dlp
also takes a text stream as `cookiefile`: each YoutubeDL gets a private copy in memory instead,
which it may rewrite as it likes.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from .errors import NotConfigured


class CookiesFile:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._text: str | None = None
        self._lock = threading.Lock()

    def private_copy(self) -> io.StringIO:
        with self._lock:
            if self._text is None:  # a file that could not be read is tried again next time
                try:
                    self._text = self.path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    raise NotConfigured(
                        f"The cookies file {self.path} cannot be read as a cookies.txt (RECAP_COOKIES_FILE)."
                    ) from None
        return io.StringIO(self._text)
