"""`recap completion SHELL`: a completion script derived from the parser by shtab, so every command,
option and choice the parser knows is completed, and nothing it does not; links complete as files."""

from __future__ import annotations

import shtab

from .arguments import parser


def script(shell: str) -> str:
    text: str = shtab.complete(parser(), shell=shell)
    return text if text.endswith("\n") else text + "\n"
