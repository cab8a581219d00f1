"""YtDlpFetcher: from a link to metadata, captions or an audio file, with yt-dlp as a library.

Order of work: probe without downloading, refuse what we will not summarise (live, too long, too
large, private addresses), take captions when the video has them (no media download at all), and
only then fetch the smallest audio-only format into a temporary directory the caller owns.

Nothing a site says is taken on trust: a caption track is read up to a cap counted after
decompression, a download up to what its declared length can plausibly weigh, and a download's
length is measured from the file itself before anyone decodes it.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.utils import DownloadError

from . import media, netguard
from .captions import caption_format, caption_language, declared_language, parse_captions
from .chapters import read_chapters
from .cookies import CookiesFile
from .errors import FetchFailed, NotAllowed, NotAVideoLink
from .links import canonical_url, video_key
from .models import Segment, Transcript, TranscriptSource, Video, clock
from .ytdlp_errors import explain

log = logging.getLogger(__name__)

# yt-dlp solves YouTube's JavaScript challenges with one of these runtimes (yt-dlp-ejs).
JS_RUNTIMES = ("deno", "node", "bun", "quickjs")
# Caption formats in order of preference: json3 has no rolling duplicates, vtt is everywhere.
CAPTION_FORMATS = ("json3", "vtt", "srt")
# yt-dlp's caption tracks, in the order they are tried, and what a transcript from each is.
CAPTION_KINDS: tuple[tuple[str, TranscriptSource], ...] = (
    ("subtitles", "captions"),
    ("automatic_captions", "auto-captions"),
)
# How long to wait before each new try after an HTTP 429; then we give up and say so.
BACKOFF_S = (2.0, 6.0, 15.0)
# The longest caption track we read, once decompressed: four hours of talk is about 1 MB of text.
MAX_CAPTION_BYTES = 5 * 1024 * 1024
# What a second of media can plausibly weigh, generously: uncompressed CD audio is 176 kB/s, and
# 32 Mbit/s is more than streaming sites use for 4K. Plus room for headers and cover art.
AUDIO_BYTES_PER_S = 192_000
VIDEO_BYTES_PER_S = 4_000_000
CONTAINER_SLACK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class FetchSettings:
    max_duration_s: float = 4 * 3600
    max_filesize_mb: float = 1024
    cookies_file: Path | None = None
    proxy: str | None = None
    policy: netguard.AddressPolicy = field(default_factory=netguard.AddressPolicy)
    socket_timeout_s: float = 30
    max_caption_bytes: int = MAX_CAPTION_BYTES


@dataclass
class Probe:
    video: Video
    info: dict[str, Any]


class _TooLarge(Exception):
    pass


class YtDlpFetcher:
    def __init__(self, settings: FetchSettings | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
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
            chapters=read_chapters(info.get("chapters"), float(info.get("duration") or 0)),
        )
        self._refuse_unwanted(video, info)
        return Probe(video, info)

    def _refuse_unwanted(self, video: Video, info: dict[str, Any]) -> None:
        if info.get("live_status") == "is_upcoming":
            raise NotAllowed("That live stream has not started yet; post the link again once it has ended.")
        if video.is_live:
            raise NotAllowed("That is a live stream; recap summarises recordings, so post it again once it has ended.")
        self.check_duration(video.duration_s)

    def check_duration(self, seconds: float) -> None:
        """Refuse media longer than the limit (also for local files, whose length is measured)."""
        if seconds > self.settings.max_duration_s:
            raise NotAllowed(
                f"That video is {clock(seconds)} long; the limit here is {clock(self.settings.max_duration_s)}"
                " (RECAP_MAX_DURATION_MINUTES)."
            )

    def captions(self, probe: Probe) -> Transcript | None:
        """The video's own captions, manual before automatic, in its language; None if it has none."""
        lang = probe.video.language
        for kind, source in CAPTION_KINDS:
            tracks = {k: v for k, v in (probe.info.get(kind) or {}).items() if k != "live_chat"}
            chosen = _pick_language(tracks, lang, automatic=kind == "automatic_captions")
            if not chosen:
                continue
            for track in _usable_formats(tracks[chosen]):
                segments, declared = self._caption_segments(track, probe.video)
                if segments:
                    if not probe.video.duration_s and segments[-1].start > self.settings.max_duration_s:
                        raise NotAllowed(
                            f"That video's captions run to {clock(segments[-1].start)}; the limit here is "
                            f"{clock(self.settings.max_duration_s)} (RECAP_MAX_DURATION_MINUTES)."
                        )
                    # The track's language, not the page's: a French talk's French captions are French.
                    language = caption_language(chosen, declared, segments)
                    return Transcript(segments=segments, source=source, language=language)
        return None

    def _caption_segments(self, track: dict[str, Any], video: Video) -> tuple[list[Segment], str | None]:
        """A track's segments and the language its header declares, or [] (and a warning) for one
        too big or too strange to be captions."""
        cap = self.settings.max_caption_bytes
        data = self._with_backoff(lambda ydl: _read_capped(ydl, track["url"], cap))
        if data is None:
            log.warning("Skipped a caption track larger than %.1f MB once decompressed: %s", cap / 2**20, track["url"])
            return [], None
        text = data.decode("utf-8", "replace")
        try:
            segments = parse_captions(text, caption_format(track["ext"]), duration_s=video.duration_s or None)
        except ValueError as exc:  # not json, or absurdly many cues
            log.warning("Skipped a caption track that is not usable (%s): %s", exc, track["url"])
            return [], None
        return segments, declared_language(text)

    def download_audio(self, probe: Probe, dest: Path, progress: Callable[[float], None]) -> Path:
        """The smallest audio-only format (else the smallest format) downloaded into `dest`, and
        measured: media longer than the limit is refused before anyone decodes it."""

        def hook(d: dict[str, Any]) -> None:
            done = d.get("downloaded_bytes") or 0
            total = d.get("total_bytes") or d.get("total_bytes_estimate")
            limit, refusal = self._byte_limit(probe.video, d.get("info_dict") or {})
            # The announced size stops it at the first chunk; the running count catches servers
            # that announce none (or announce less than they send).
            if done > limit or (d.get("total_bytes") or 0) > limit:
                raise _TooLarge(refusal)
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
        except _TooLarge as refusal:
            raise NotAllowed(str(refusal)) from None
        files = [p for p in dest.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
        if not files:
            raise FetchFailed("The media could not be downloaded; try again in a minute.")
        path = max(files, key=lambda p: p.stat().st_size)
        limit = self.settings.max_duration_s
        measured = media.duration_s(path, stop_after=limit)
        if measured > limit:
            raise NotAllowed(f"That media is longer than the {clock(limit)} limit here (RECAP_MAX_DURATION_MINUTES).")
        if not probe.video.duration_s:  # the page did not say; now we know
            probe.video = probe.video.model_copy(update={"duration_s": round(measured, 2)})
        progress(1.0)
        return path

    def _byte_limit(self, video: Video, fmt: dict[str, Any]) -> tuple[int, str]:
        """The most bytes a download may take, and the refusal to give beyond it."""
        limit = int(self.settings.max_filesize_mb * 1024 * 1024)
        refusal = f"The media is larger than the {self.settings.max_filesize_mb:g} MB limit (RECAP_MAX_FILESIZE_MB)."
        seconds = video.duration_s or self.settings.max_duration_s
        rate = AUDIO_BYTES_PER_S if fmt.get("vcodec") == "none" else VIDEO_BYTES_PER_S
        plausible = int(seconds * rate) + CONTAINER_SLACK_BYTES
        if plausible < limit:
            limit = plausible
            refusal = (
                f"The media is far larger than {clock(seconds)} of it can be; recap will not download it."
                if video.duration_s
                else f"The media is larger than anything within the {clock(seconds)} limit here can be "
                "(RECAP_MAX_DURATION_MINUTES); recap will not download it."
            )
        return limit, refusal

    def _with_backoff(self, work: Callable[[yt_dlp.YoutubeDL], Any], extra: dict | None = None) -> Any:
        """Run `work` with a fresh guarded YoutubeDL, backing off on HTTP 429 instead of hammering."""
        for attempt in range(len(BACKOFF_S) + 1):
            warnings: list[str] = []
            try:
                with netguard.guarded_ydl(
                    self._params(warnings, extra), self.settings.policy, proxy=self.settings.proxy
                ) as ydl:
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


def _usable_formats(formats: list[dict]) -> list[dict]:
    usable = [f for f in formats if f.get("url") and caption_format(f.get("ext", ""))]
    usable.sort(
        key=lambda f: (
            CAPTION_FORMATS.index(caption_format(f["ext"])) if caption_format(f["ext"]) in CAPTION_FORMATS else 99
        )
    )
    return usable


def _read_capped(ydl: yt_dlp.YoutubeDL, url: str, cap: int) -> bytes | None:
    """The body at `url`, or None once it passes `cap` bytes; the networking inflates it as read."""
    body = bytearray()
    with ydl.urlopen(url) as response:
        while chunk := response.read(64 * 1024):
            body += chunk
            if len(body) > cap:
                return None
    return bytes(body)


class _Collector:
    """yt-dlp's logger: keep its warnings for error messages, never print to the user's terminal."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    info = debug

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)
        log.debug("yt-dlp warning: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp error: %s", msg)
