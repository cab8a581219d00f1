"""YtDlpFetcher: from a link to metadata, captions or an audio file, with yt-dlp as a library.

Order of work: probe without downloading, refuse what we will not summarise (live, too long, too
large, private addresses), take captions when the video has them (no media download at all), and
only then fetch the smallest audio-only format into a temporary directory the caller owns.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yt_dlp
from yt_dlp.utils import DownloadError

from . import netguard
from .captions import caption_format, parse_captions
from .cookies import CookiesFile
from .errors import FetchFailed, NotAllowed, NotAVideoLink
from .links import canonical_url, video_key
from .models import Transcript, Video, clock
from .ytdlp_errors import explain

log = logging.getLogger(__name__)

# yt-dlp solves YouTube's JavaScript challenges with one of these runtimes (yt-dlp-ejs).
JS_RUNTIMES = ("deno", "node", "bun", "quickjs")
# Caption formats in order of preference: json3 has no rolling duplicates, vtt is everywhere.
CAPTION_FORMATS = ("json3", "vtt", "srt")
# How long to wait before each new try after an HTTP 429; then we give up and say so.
BACKOFF_S = (2.0, 6.0, 15.0)


@dataclass(frozen=True)
class FetchSettings:
    max_duration_s: float = 4 * 3600
    max_filesize_mb: float = 1024
    cookies_file: Path | None = None
    proxy: str | None = None
    policy: netguard.AddressPolicy = field(default_factory=netguard.AddressPolicy)
    socket_timeout_s: float = 30


@dataclass
class Probe:
    video: Video
    info: dict[str, Any]


class _TooLarge(Exception):
    pass


class YtDlpFetcher:
    def __init__(self, settings: FetchSettings | None = None, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings or FetchSettings()
        self._sleep = sleep
        self._cookies = CookiesFile(self.settings.cookies_file) if self.settings.cookies_file else None
        if self.settings.proxy and not self.settings.policy.allow_private:
            log.warning(
                "RECAP_PROXY is set: the proxy makes the connections, so recap cannot verify the address "
                "each one reaches. Links and redirects whose host resolves here to a private address are "
                "still refused; the proxy's own egress rules must stop the rest."
            )

    def probe(self, url: str) -> Probe:
        key = video_key(url)
        target = canonical_url(url)
        netguard.check_url(target, self.settings.policy)
        info = self._with_backoff(lambda ydl: ydl.extract_info(target, download=False, process=True))
        if info.get("_type") in ("playlist", "multi_video"):
            raise NotAVideoLink("That link is a playlist or a page of several videos; paste a link to one video.")
        video = Video(
            key=key,
            url=target,
            title=_title(info, target),
            channel=info.get("channel") or info.get("uploader"),
            duration_s=float(info.get("duration") or 0),
            language=info.get("language"),
            is_live=bool(info.get("is_live")) or info.get("live_status") in ("is_live", "is_upcoming"),
        )
        self._refuse_unwanted(video, info)
        return Probe(video, info)

    def _refuse_unwanted(self, video: Video, info: dict[str, Any]) -> None:
        if info.get("live_status") == "is_upcoming":
            raise NotAllowed("That live stream has not started yet; post the link again once it has ended.")
        if video.is_live:
            raise NotAllowed("That is a live stream; recap summarises recordings, so post it again once it has ended.")
        if video.duration_s > self.settings.max_duration_s:
            raise NotAllowed(
                f"That video is {clock(video.duration_s)} long; the limit here is {clock(self.settings.max_duration_s)}"
                " (RECAP_MAX_DURATION_MINUTES)."
            )

    def captions(self, probe: Probe) -> Transcript | None:
        """The video's own captions, manual before automatic, in its language; None if it has none."""
        lang = probe.video.language
        for kind, source in (("subtitles", "captions"), ("automatic_captions", "auto-captions")):
            tracks = {k: v for k, v in (probe.info.get(kind) or {}).items() if k != "live_chat"}
            chosen = _pick_language(tracks, lang, automatic=kind == "automatic_captions")
            if not chosen:
                continue
            track = _pick_format(tracks[chosen])
            if not track:
                continue
            data = self._with_backoff(lambda ydl: ydl.urlopen(track["url"]).read())
            segments = parse_captions(data.decode("utf-8", "replace"), caption_format(track["ext"]))
            if segments:
                return Transcript(segments=segments, source=source, language=chosen.removesuffix("-orig"))
        return None

    def download_audio(self, probe: Probe, dest: Path, progress: Callable[[float], None]) -> Path:
        """The smallest audio-only format (else the smallest format) downloaded into `dest`."""
        limit = int(self.settings.max_filesize_mb * 1024 * 1024)

        def hook(d: dict[str, Any]) -> None:
            done = d.get("downloaded_bytes") or 0
            total = d.get("total_bytes") or d.get("total_bytes_estimate")
            # The announced size stops it at the first chunk; the running count catches servers
            # that announce none.
            if done > limit or (d.get("total_bytes") or 0) > limit:
                raise _TooLarge()
            if total and d.get("status") == "downloading":
                progress(min(1.0, done / total))

        options = {
            "format": "worstaudio/bestaudio/worst",
            "outtmpl": str(dest / "media.%(ext)s"),
            "progress_hooks": [hook],
            "skip_download": False,
        }
        try:
            self._with_backoff(lambda ydl: ydl.process_ie_result(dict(probe.info), download=True), options)
        except _TooLarge:
            raise NotAllowed(
                f"The media is larger than the {self.settings.max_filesize_mb:g} MB limit (RECAP_MAX_FILESIZE_MB)."
            ) from None
        files = [p for p in dest.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
        if not files:
            raise FetchFailed("The media could not be downloaded; try again in a minute.")
        progress(1.0)
        return max(files, key=lambda p: p.stat().st_size)

    def _with_backoff(self, work: Callable[[yt_dlp.YoutubeDL], Any], extra: dict | None = None) -> Any:
        """Run `work` with a fresh guarded YoutubeDL, backing off on HTTP 429 instead of hammering."""
        for attempt in range(len(BACKOFF_S) + 1):
            warnings: list[str] = []
            try:
                with netguard.guarded_ydl(self._params(warnings, extra), self.settings.policy,
                                          proxy=self.settings.proxy) as ydl:
                    return work(ydl)
            except (DownloadError, yt_dlp.utils.YoutubeDLError, OSError) as exc:
                error = explain(exc, warnings, runtimes=_available_runtimes())
                if getattr(error, "rate_limited", False) and attempt < len(BACKOFF_S):
                    log.info("rate limited by the site; waiting %.0fs before trying again", BACKOFF_S[attempt])
                    self._sleep(BACKOFF_S[attempt])
                    continue
                raise error from exc
        raise AssertionError("unreachable")

    def _params(self, warnings: list[str], extra: dict | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "quiet": True,
            "no_warnings": False,
            "noprogress": True,
            "noplaylist": True,
            "skip_download": True,
            "logger": _Collector(warnings),
            "socket_timeout": self.settings.socket_timeout_s,
            "retries": 2,
            "extractor_retries": 2,
            "js_runtimes": {name: {} for name in _available_runtimes()} or {"deno": {}},
            "cachedir": False,
        }
        if self._cookies:
            params["cookiefile"] = self._cookies.private_copy()  # never the operator's file itself
        return {**params, **(extra or {})}


def _title(info: dict[str, Any], fallback: str) -> str:
    title = info.get("title") or info.get("fulltitle") or fallback
    if info.get("extractor_key") in ("HTML5", "Generic") or info.get("extractor") == "html5":
        title = re.sub(r" \(\d+\)$", "", title)  # yt-dlp numbers the media elements of a page
    return title


def _available_runtimes() -> list[str]:
    return [name for name in JS_RUNTIMES if shutil.which(name)]


def _pick_language(tracks: dict[str, list], lang: str | None, automatic: bool) -> str | None:
    if not tracks:
        return None
    if automatic:
        # YouTube offers machine translations into every language; "-orig" marks the spoken one.
        orig = [k for k in tracks if k.endswith("-orig")]
        if orig:
            return orig[0]
    wanted = [lang] if lang else []
    wanted += ["en"]
    for want in wanted:
        for k in tracks:
            if k == want or k.split("-")[0] == want:
                return k
    # A manual track in some language beats nothing; a machine translation into one does not.
    return None if automatic else next(iter(tracks))


def _pick_format(formats: list[dict]) -> dict | None:
    usable = [f for f in formats if f.get("url") and caption_format(f.get("ext", ""))]
    usable.sort(key=lambda f: CAPTION_FORMATS.index(caption_format(f["ext"])) if caption_format(f["ext"]) in CAPTION_FORMATS else 99)
    return usable[0] if usable else None


class _Collector:
    """yt-dlp's logger: keep its warnings for error messages, never print to the user's terminal."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    info = debug

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)
        log.debug("yt-dlp warning: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp error: %s", msg)

