"""What the fake keeps: id-keyed state, uploads, recorded REST requests and interactions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class IdMap(dict):
    """A dict keyed by Discord ids as strings that also accepts int keys; `missing` for absent keys."""

    def __init__(self, missing: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self._missing = missing

    def __missing__(self, key: Any) -> Any:
        if self._missing is None:
            raise KeyError(key)
        return self._missing()

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(str(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(str(key), value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(str(key))

    def __contains__(self, key: Any) -> bool:
        return super().__contains__(str(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(str(key), default)

    def pop(self, key: Any, *default: Any) -> Any:
        return super().pop(str(key), *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return super().setdefault(str(key), default)


@dataclass
class Upload:
    field: str  # "files[0]"
    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str  # below /api/v10, e.g. "/channels/123/messages"
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None  # the JSON body, or payload_json of a multipart body
    files: list[Upload] = field(default_factory=list)
    status: int = 0
    response: Any = None  # the JSON the fake answered (None for 204)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class InteractionRecord:
    payload: dict  # the INTERACTION_CREATE data as dispatched
    created: float  # loop time of the dispatch
    response_type: int | None = None
    response: dict | None = None  # the callback body
    original_id: str | None = None  # id of the message @original refers to
    loading: bool = False  # a type-5 "thinking" message not yet replaced
    followup_ids: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.payload["id"]

    @property
    def token(self) -> str:
        return self.payload["token"]
