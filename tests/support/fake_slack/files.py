"""File uploads the way slack_sdk's files_upload_v2 does them: files.getUploadURLExternal, a POST
of the bytes to the upload URL, files.completeUploadExternal; then files.info and the download URL."""

from __future__ import annotations

import mimetypes
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .limits import SlackError
from .workspace import CHANNEL_NAME

if TYPE_CHECKING:
    from .server import FakeSlack


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int  # as declared to files.getUploadURLExternal
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None  # None until the upload URL received it
    title: str | None = None
    completed: bool = False
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    created: int = 0


def files_get_upload_url(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    filename = p.get("filename")
    try:
        length = int(p.get("length"))
    except (TypeError, ValueError):
        length = -1
    if not filename or length < 0:
        raise SlackError("invalid_arguments", ["filename and length are required"])
    file_id = fake._new_id("F")
    fake.files[file_id] = UploadedFile(
        id=file_id,
        filename=str(filename),
        length=length,
        alt_txt=p.get("alt_txt"),
        snippet_type=p.get("snippet_type"),
        created=int(time.time()),
    )
    return {"upload_url": f"{fake.base_url}upload/v1/{file_id}", "file_id": file_id}


def files_complete_upload(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    files = p.get("files")
    if not isinstance(files, list) or not files:
        raise SlackError("invalid_arguments", ["files must be a non-empty JSON array"])
    channel = p.get("channel_id")
    if not channel and p.get("channels"):
        channel = str(p["channels"]).split(",")[0]
    done: list[UploadedFile] = []
    for item in files:  # all or nothing: check every file before completing any
        f = fake.files.get(item.get("id")) if isinstance(item, dict) else None
        if f is None or f.content is None:
            raise SlackError("file_not_found")
        done.append(f)
    for item, f in zip(files, done):
        f.title = item.get("title") or f.filename
        f.completed = True
        f.channel_id = channel
        f.thread_ts = p.get("thread_ts")
        f.initial_comment = p.get("initial_comment")
    if channel:
        ts = fake.next_ts()
        message = {
            "user": fake.bot_user_id,
            "type": "message",
            "ts": ts,
            "text": p.get("initial_comment") or "",
            "team": fake.team_id,
            "upload": True,
            "display_as_bot": False,
            "files": [file_object(fake, f) for f in done],
        }
        if p.get("thread_ts"):
            message["thread_ts"] = str(p["thread_ts"])
        fake._messages[(channel, ts)] = message
    return {"files": [file_object(fake, f) for f in done]}


def files_info(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    f = fake.files.get(p.get("file") or "")
    if f is None or not f.completed:
        raise SlackError("file_not_found")
    return {"file": file_object(fake, f), "comments": [], "response_metadata": {"next_cursor": ""}}


def file_object(fake: FakeSlack, f: UploadedFile) -> dict[str, Any]:
    """The file as the API describes it; its URLs point at the fake so downloads can be tested."""
    ext = f.filename.rsplit(".", 1)[-1].lower() if "." in f.filename else ""
    mimetype = mimetypes.guess_type(f.filename)[0] or (
        "text/plain" if ext in ("txt", "md", "") else "application/octet-stream"
    )
    url = f"{fake.base_url}files/{f.id}/{quote(f.filename)}"
    shares: dict[str, Any] = {}
    if f.channel_id:
        share = {
            "ts": f.thread_ts or "",
            "channel_name": CHANNEL_NAME,
            "team_id": fake.team_id,
            "share_user_id": fake.bot_user_id,
        }
        shares = {"private" if f.channel_id[0] in "GD" else "public": {f.channel_id: [share]}}
    return {
        "id": f.id,
        "created": f.created,
        "timestamp": f.created,
        "name": f.filename,
        "title": f.title or f.filename,
        "mimetype": mimetype,
        "filetype": ext or "text",
        "pretty_type": (ext or "text").upper(),
        "user": fake.bot_user_id,
        "user_team": fake.team_id,
        "editable": False,
        "size": len(f.content or b""),
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": bool(f.channel_id and f.channel_id[0] == "C"),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": url,
        "url_private_download": url + "?download=1",
        "permalink": f"https://{fake.team_domain}.slack.com/files/{fake.bot_user_id}/{f.id}/{quote(f.filename)}",
        "permalink_public": f"https://slack-files.com/{fake.team_id}-{f.id}-{uuid.uuid4().hex[:10]}",
        "comments_count": 0,
        "is_starred": False,
        "shares": shares,
        "channels": [f.channel_id] if f.channel_id and f.channel_id[0] == "C" else [],
        "groups": [f.channel_id] if f.channel_id and f.channel_id[0] == "G" else [],
        "ims": [f.channel_id] if f.channel_id and f.channel_id[0] == "D" else [],
        "has_more_shares": False,
        "has_rich_preview": False,
        "file_access": "visible",
        **({"alt_txt": f.alt_txt} if f.alt_txt else {}),
    }


def receive_upload(fake: FakeSlack, file_id: str, body: bytes) -> tuple[int, bytes]:
    """The upload URL: no auth (the URL is the secret), answers text/plain like Slack's."""
    with fake._lock:
        f = fake.files.get(file_id)
        if f is None:
            return 404, b"file not found"
        f.content = bytes(body)
        return 200, f"OK - {len(body)}".encode()


def download(fake: FakeSlack, file_id: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """url_private: the bot token as a Bearer header, or 403."""
    auth = headers.get("authorization", "")
    with fake._lock:
        f = fake.files.get(file_id)
        if f is None or f.content is None:
            return 404, b"file not found"
        if not auth.lower().startswith("bearer ") or (fake.token is not None and auth[7:].strip() != fake.token):
            return 403, b"forbidden"
        return 200, f.content
