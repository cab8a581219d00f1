"""A real RecapService for tests: real store, real yt-dlp, real whisper, on a temporary database."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app import build_service
from bot.service import RecapService
from bot.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TALKS = {t["name"]: t for t in json.loads((FIXTURES / "talks.json").read_text())["talks"]}
# The contract lives in the shared folder beside the checkout; the copy here keeps a clone that has
# no such folder testable, and test_schema_copy_matches_the_contract keeps the two the same.
SHARED_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "digest.schema.json"
SCHEMA_PATH = FIXTURES / "digest.schema.json"


def make_service(database_url: str, **settings) -> RecapService:
    settings.setdefault("allow_private_networks", True)  # the media server is on 127.0.0.1
    return build_service(Settings(_env_file=None, database_url=database_url, **settings))


def sentence_starts(talk: str) -> list[float]:
    return [s["start"] for s in TALKS[talk]["sentences"]]


def schema_validator(kind: str):
    """A jsonschema validator for the digest or answer part of shared/digest.schema.json."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator({**schema, "oneOf": [{"$ref": f"#/$defs/{kind}"}]})
