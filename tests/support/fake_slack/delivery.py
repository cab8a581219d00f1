"""Handing a payload to the app as Slack would: signed headers (and redelivery headers), posted
over HTTP or wrapped in a slack_bolt request for app.dispatch."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from .payloads import Payload


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature (v0=hex HMAC-SHA256 of b"v0:{ts}:" + body)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(
    payload: Payload,
    secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """All headers Slack sends with `payload`: Content-Type, signature, and on redeliveries
    X-Slack-Retry-Num / X-Slack-Retry-Reason (Slack's reasons: http_timeout, too_many_requests,
    http_error, connection_failed, ssl_error, unknown_error)."""
    body, content_type = payload
    headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Accept": "application/json,*/*",
        **sign(body, secret, timestamp),
    }
    if retry_num:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


@dataclass
class Delivery:
    """What the app answered to a request from "Slack"."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


async def post_signed_async(
    url: str, payload: Payload, secret: str, *, timeout: float = 10, **header_options: Any
) -> Delivery:
    """POST `payload` to the app's endpoint as Slack would, with aiohttp, for an app served by the
    running event loop."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(
            url, data=payload[0], headers=signed_headers(payload, secret, **header_options)
        ) as resp:
            return Delivery(resp.status, {k.lower(): v for k, v in resp.headers.items()}, await resp.read())


def bolt_request(payload: Payload, secret: str, *, async_: bool = False, **header_options: Any):
    """A slack_bolt BoltRequest (AsyncBoltRequest with async_=True) for app.dispatch / app.async_dispatch."""
    headers = signed_headers(payload, secret, **header_options)
    if async_:
        from slack_bolt.request.async_request import AsyncBoltRequest

        return AsyncBoltRequest(body=payload[0].decode("utf-8"), headers=headers)
    from slack_bolt.request import BoltRequest

    return BoltRequest(body=payload[0].decode("utf-8"), headers=headers)
