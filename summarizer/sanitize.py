"""Text that reaches a chat must not ping anyone: defuse mass and direct mentions.

Transcripts, titles and model output are all untrusted: a video can say "@everyone" and a model
can be talked into writing `<!channel>`. Both Slack (`<!here>`, `<@U123>`, `<!subteam^S1>`) and
Discord (`@everyone`, `<@123>`, `<@!123>`, `<@&123>`) syntaxes are defused, leaving readable words.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

_SLACK_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>", re.IGNORECASE)
_SLACK_GROUP = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_USER_OR_ROLE = re.compile(r"<@[!&]?[A-Z0-9]+(?:\|([^>]*))?>", re.IGNORECASE)
_AT_MASS = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)

M = TypeVar("M", bound=BaseModel)


def defang(text: str) -> str:
    text = _SLACK_SPECIAL.sub(lambda m: m.group(1), text)
    text = _SLACK_GROUP.sub(lambda m: m.group(1) or "a group", text)
    text = _USER_OR_ROLE.sub(lambda m: m.group(1) or "someone", text)
    return _AT_MASS.sub(lambda m: m.group(1), text)


def defang_model(model: M, skip: frozenset[str] = frozenset({"url", "key"})) -> M:
    """A copy of `model` with every string field defused, links and keys left as they are."""
    return type(model).model_validate(_walk(model.model_dump(), skip))


def _walk(value: Any, skip: frozenset[str]) -> Any:
    if isinstance(value, str):
        return defang(value)
    if isinstance(value, list):
        return [_walk(v, skip) for v in value]
    if isinstance(value, dict):
        return {k: (v if k in skip else _walk(v, skip)) for k, v in value.items()}
    return value
