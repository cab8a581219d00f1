"""Token accounting and the prompt cache: how many input tokens a request costs, and how many of
them were written to or read from the cache.

The prompt is tools, then system blocks, then message blocks, in order. A block with
`cache_control` (or the last message block, given a top-level `cache_control`) ends a cache prefix;
a prefix is identified by a hash chained over every block up to it, so any change before a
breakpoint misses the cache, as on the real API."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from .replies import block_text

CACHE_LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def count_tokens(text: str, chars_per_token: int) -> int:
    """The fake's tokenizer: ceil(len / chars_per_token)."""
    return math.ceil(len(text) / chars_per_token) if text else 0


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _Segment:
    """One block of the prompt, in prompt order, as the cache sees it."""

    section: str  # "tools" | "system" | "messages"
    material: str  # canonical JSON of the block without cache_control
    tokens: int
    cache_control: dict[str, Any] | None


def _without_cc(block: Any) -> Any:
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _chain(digest: str, material: str) -> str:
    return hashlib.sha256((digest + "\x00" + material).encode()).hexdigest()


def _input_block_tokens(block: dict[str, Any], chars_per_token: int) -> int:
    kind = block.get("type")
    if kind == "text":
        return count_tokens(block.get("text", ""), chars_per_token)
    if kind == "tool_result":
        inner = block.get("content", "")
        return 1 + count_tokens(inner if isinstance(inner, str) else block_text(inner), chars_per_token)
    if kind == "tool_use":
        return count_tokens(block.get("name", "") + json.dumps(block.get("input", {})), chars_per_token)
    if kind in ("image", "document"):
        return 1500  # a flat guess: images are not billed by their base64 length
    return count_tokens(_canonical(block), chars_per_token)


def _segments(body: dict[str, Any], chars_per_token: int) -> list[_Segment]:
    segments: list[_Segment] = []
    for tool in body.get("tools") or []:
        material = _canonical(_without_cc(tool))
        segments.append(_Segment("tools", material, count_tokens(material, chars_per_token), tool.get("cache_control")))
    system = body.get("system")
    if isinstance(system, str) and system:
        segments.append(
            _Segment(
                "system", _canonical({"type": "text", "text": system}), count_tokens(system, chars_per_token), None
            )
        )
    elif isinstance(system, list):
        for block in system:
            segments.append(
                _Segment(
                    "system",
                    _canonical(_without_cc(block)),
                    count_tokens(block.get("text", ""), chars_per_token),
                    block.get("cache_control"),
                )
            )
    for message in body["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for j, block in enumerate(blocks):
            material = _canonical([message["role"], j == 0, _without_cc(block)])
            segments.append(
                _Segment("messages", material, _input_block_tokens(block, chars_per_token), block.get("cache_control"))
            )
    top = body.get("cache_control")
    if top is not None:
        for segment in reversed(segments):
            if segment.section == "messages":
                if segment.cache_control is None:
                    segment.cache_control = top
                break
    return segments


class PromptCache:
    """Cached prefixes (hash -> expiry on time.monotonic()), shared by the fake's request threads."""

    def __init__(self) -> None:
        self._entries: dict[str, float] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def usage(self, body: dict[str, Any], *, chars_per_token: int, min_cache_tokens: int) -> dict[str, Any]:
        """The input side of `usage` for a validated request, caching its prefixes as it goes."""
        segments = _segments(body, chars_per_token)
        cumulative: list[int] = []
        hashes: list[str] = []
        digest = hashlib.sha256(("model:" + body["model"]).encode()).hexdigest()
        total = 0
        in_messages = False
        for segment in segments:
            if segment.section == "messages" and not in_messages:
                in_messages = True  # tool_choice / thinking changes invalidate the messages cache
                digest = _chain(digest, _canonical([body.get("tool_choice"), body.get("thinking")]))
            digest = _chain(digest, segment.material)
            total += segment.tokens
            cumulative.append(total)
            hashes.append(digest)
        breakpoints = [i for i, s in enumerate(segments) if s.cache_control is not None]
        eligible = [i for i in breakpoints if cumulative[i] >= min_cache_tokens]
        now = time.monotonic()
        by_ttl = {"5m": 0, "1h": 0}
        with self._lock:
            for key in [k for k, expiry in self._entries.items() if expiry <= now]:
                del self._entries[key]
            hit = -1
            for bp in breakpoints:  # like the API, each breakpoint looks back for an earlier prefix
                for k in range(bp, max(-1, bp - CACHE_LOOKBACK_BLOCKS), -1):
                    if hashes[k] in self._entries:
                        hit = max(hit, k)
                        break
            read = cumulative[hit] if hit >= 0 else 0
            if hit >= 0:  # a read refreshes the entry
                self._entries[hashes[hit]] = max(self._entries[hashes[hit]], now + TTL_SECONDS["5m"])
            start = read
            for bp in eligible:
                ttl = segments[bp].cache_control.get("ttl", "5m")
                if bp > hit:
                    by_ttl[ttl] += cumulative[bp] - start
                    start = cumulative[bp]
                self._entries[hashes[bp]] = max(self._entries.get(hashes[bp], 0.0), now + TTL_SECONDS[ttl])
        created = by_ttl["5m"] + by_ttl["1h"]
        return {
            "input_tokens": total - read - created,
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": by_ttl["5m"], "ephemeral_1h_input_tokens": by_ttl["1h"]},
        }
