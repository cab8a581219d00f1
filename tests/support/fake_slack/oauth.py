"""oauth.v2.access as Slack answers it for token rotation (`grant_type=refresh_token`): the app's
client id and secret (HTTP Basic, as slack_sdk sends them, or form fields) and a refresh token the
fake issued buy a new bot token and a new refresh token; the old refresh token is spent.

Rotating tokens look like Slack's (`xoxe.xoxb-…` and `xoxe-1-…`) and expire: a call with an expired
one answers `token_expired`, so an app that does not rotate is caught out."""

from __future__ import annotations

import base64
import secrets
import time
from typing import TYPE_CHECKING, Any

from .limits import SlackError

if TYPE_CHECKING:
    from .server import FakeSlack

CLIENT_ID = "111.222"
CLIENT_SECRET = "shh"
TOKEN_LIFETIME_S = 43_200  # Slack's: 12 hours


def issue(fake: FakeSlack, expires_in: int = TOKEN_LIFETIME_S) -> tuple[str, str]:
    """A new rotating bot token valid for `expires_in` seconds (0: already expired), and its refresh token."""
    token = f"xoxe.xoxb-1-{secrets.token_hex(12)}"
    refresh = f"xoxe-1-{secrets.token_hex(12)}"
    fake.rotating[token] = time.time() + expires_in
    fake.refresh_tokens[refresh] = token
    return token, refresh


def check_rotating(fake: FakeSlack, token: str) -> bool:
    """True for a live rotating token the fake issued; `token_expired` for one past its time."""
    expires = fake.rotating.get(token)
    if expires is None:
        return False
    if expires <= time.time():
        raise SlackError("token_expired")
    return True


def oauth_v2_access(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    if (p.get("client_id"), p.get("client_secret")) != (fake.client_id, fake.client_secret):
        raise SlackError("invalid_client_id" if p.get("client_id") != fake.client_id else "bad_client_secret")
    if p.get("grant_type") != "refresh_token":
        raise SlackError("invalid_grant_type")  # installs (code exchange) are not faked
    old = fake.refresh_tokens.pop(str(p.get("refresh_token") or ""), None)
    if old is None:
        raise SlackError("invalid_refresh_token")
    token, refresh = issue(fake)
    return {
        "app_id": fake.app_id,
        "access_token": token,
        "refresh_token": refresh,
        "expires_in": TOKEN_LIFETIME_S,
        "token_type": "bot",
        "scope": fake.scopes,
        "bot_user_id": fake.bot_user_id,
        "team": {"id": fake.team_id, "name": fake.team},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def basic_credentials(headers: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
    """The client id and secret of an HTTP Basic header, as params (form fields win)."""
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return params
    try:
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return params
    return {"client_id": client_id, "client_secret": secret, **params}
