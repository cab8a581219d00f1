"""A media file on disk as a video: `recap summarize talk.mp4` needs no site and no network.

A caption file beside the media (`talk.vtt`, `talk.en.srt`) is used like a site's captions.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path

from .captions import caption_format, parse_captions
from .errors import MediaUnreadable, NotAVideoLink
from .media import measured_s
from .models import Transcript, Video


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def media_path(target: str) -> Path:
    path = Path(target).expanduser()
    if not path.is_file():
        raise NotAVideoLink(f"{target!r} is neither an http(s) link nor a media file on this machine.")
    return path


def file_key(path: Path) -> str:
    """Content, not name, identifies a file: a renamed copy is the same video."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"file:{digest.hexdigest()[:16]}"


def probe_file(path: Path, key: str) -> Video:
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise MediaUnreadable(f"{path.name} has no audio track to transcribe.")
            # Measured, not read from the header: a file can declare no length, or a false one.
            duration = measured_s(container)
    except av.error.FFmpegError as exc:
        raise MediaUnreadable(
            f"{path.name} could not be read as audio or video ({exc.strerror or 'invalid data'})."
        ) from exc
    return Video(key=key, url=str(path.resolve()), title=path.stem.replace("_", " "), duration_s=round(duration, 2))


def sidecar_captions(path: Path) -> Transcript | None:
    # The name is the user's: "[x]" or "**" in it are characters, not a pattern.
    for candidate in sorted(path.parent.glob(f"{glob.escape(path.stem)}*")):
        fmt = caption_format(candidate.suffix.lstrip("."))
        if candidate != path and fmt:
            segments = parse_captions(candidate.read_text(encoding="utf-8", errors="replace"), fmt)
            if segments:
                return Transcript(segments=segments, source="captions", language=_language_of(candidate, path))
    return None


def _language_of(captions: Path, media: Path) -> str | None:
    middle = captions.name[len(media.stem) :].split(".")  # "talk.en.vtt" -> ["", "en", "vtt"]
    return middle[1] if len(middle) == 3 and 2 <= len(middle[1]) <= 5 else None
