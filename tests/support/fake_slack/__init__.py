"""A fake Slack Web API plus signed-request builders, so tests run the real slack_sdk / slack_bolt.

    with FakeSlack() as fake:                                    # 127.0.0.1, ephemeral port
        client = WebClient(token=fake.token, base_url=fake.api_url)   # api_url ends with /api/
        app = App(client=client, signing_secret=SECRET)          # bolt calls auth.test at start-up
        ...
        body, ctype = app_mention("<@U0FAKEBOT> https://youtu.be/x", channel="C0FAKECHAN")
        resp = app.dispatch(bolt_request((body, ctype), SECRET))   # or await post_signed_async(url, ...)
        call = fake.wait_for("chat.postMessage")[0]              # background work posted
        call.params["thread_ts"], call.response["ts"], fake.thread("C0FAKECHAN", ts)

What the fake does, like the real API (as far as slack_sdk and bolt can tell):

* `POST|GET /api/<method>`; form-encoded, JSON or query-string params, merged (form / query fields
  `blocks`, `attachments`, `view`, `files`, `metadata` holding JSON text are decoded; other form
  values stay strings, e.g. `length="3000"`). Answers are
  `application/json; charset=utf-8` with `x-oauth-scopes`; errors are HTTP 200 `{"ok": false,
  "error": ...}` (plus `errors` / `response_metadata.messages` for block and view problems).
* Auth from `Authorization: Bearer` (or a `token` param): none -> `not_authed`, unknown ->
  `invalid_auth`, an app-level token (`xapp-`) anywhere but `apps.connections.open` (and a bot
  token there) -> `not_allowed_token_type`. `FakeSlack(token=None)` accepts any `xoxb-` token.
* Methods: auth.test, chat.postMessage / update / postEphemeral / delete, files.getUploadURLExternal
  + the upload URL (`/upload/v1/<file_id>`, no auth, answers `text/plain` "OK - <n>") +
  files.completeUploadExternal + files.info, views.open / update / publish (Home tabs, kept in
  `fake.homes` by user), conversations.info, users.info,
  reactions.add, apps.connections.open, oauth.v2.access (token rotation: `oauth.issue(fake)` gives an
  expiring `xoxe.xoxb-` token and its refresh token; an expired one answers `token_expired`).
  Anything else under /api/ -> `unknown_method`.
* Limits (chat.*): more than 50 blocks, a section text over 3000 chars, section fields over 10 or
  2000 chars, a header over 150 chars, empty text objects, context over 10 elements, actions over
  25 elements, button text over 75 / value over 2000 / action_id over 255, duplicate block_ids,
  duplicate action_ids in a block, unknown block types -> `invalid_blocks`; `text` over 40,000
  chars -> `msg_too_long`; no text, blocks or attachments -> `no_text`. chat.update / delete of a
  ts the fake did not post -> `message_not_found`. Views: more than 100 blocks, title / submit /
  close over 24 chars, private_metadata over 3000, input blocks without `submit` ->
  `invalid_arguments`; a trigger_id used twice -> `exchanged_trigger_id`; views.update of an
  unknown view -> `not_found`, stale `hash` -> `hash_conflict`. reactions.add twice ->
  `already_reacted`.
* Messages the bot posts are kept (`fake.message`, `fake.messages`, `fake.thread`) with real
  `ts` values ("1700000000.000100", increasing, unique for the fake's life), block_ids filled in,
  `edited` after chat.update, `reply_count` on thread parents. Uploaded files are kept in
  `fake.files` (bytes in `.content`) and, once completed into a channel, appear as a message.
* Scripting: `rate_limit(method, times, retry_after)` -> HTTP 429, `Retry-After`,
  `{"ok": false, "error": "ratelimited"}`; `fail_next(method, error)` -> any other error.
* `response_url(...)` gives a URL on the fake for slash-command / action payloads; what bolt's
  `respond()` posts there is recorded as method "response_url" (params = the JSON body).

Every request is a `Call` in `fake.calls` (rate-limited and failed ones too: see `Call.ok`).

Modules: `workspace` (ids, tokens, made-up users and channels), `limits` (what the API refuses),
`api`, `files` and `oauth` (the methods; rotating tokens), `handler` (HTTP and `Call`), `server`
(`FakeSlack`), `payloads` (what Slack sends the app) and `delivery` (signing and sending it).
"""

from .delivery import Delivery, bolt_request, post_signed_async, sign, signed_headers
from .files import UploadedFile
from .handler import Call
from .limits import MAX_MESSAGE_BLOCKS, MAX_TEXT, MAX_VIEW_BLOCKS, validate_blocks, validate_view
from .payloads import (
    FORM,
    JSON,
    Payload,
    app_mention,
    block_actions,
    bot_message,
    event_callback,
    message,
    message_action,
    message_changed,
    new_ts,
    slash_command,
    url_verification,
    view_submission,
)
from .server import FakeSlack, _ts_key  # noqa: F401 - tests compare ts values with _ts_key
from .workspace import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_NAME,
    BOT_TOKEN,
    BOT_USER_ID,
    CHANNEL_ID,
    CHANNEL_NAME,
    SCOPES,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    USER_ID,
    USER_NAME,
    VERIFICATION_TOKEN,
)

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_NAME",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "CHANNEL_ID",
    "CHANNEL_NAME",
    "FORM",
    "JSON",
    "MAX_MESSAGE_BLOCKS",
    "MAX_TEXT",
    "MAX_VIEW_BLOCKS",
    "SCOPES",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "TEAM_NAME",
    "USER_ID",
    "USER_NAME",
    "VERIFICATION_TOKEN",
    "Call",
    "Delivery",
    "FakeSlack",
    "Payload",
    "UploadedFile",
    "app_mention",
    "block_actions",
    "bolt_request",
    "bot_message",
    "event_callback",
    "message",
    "message_action",
    "message_changed",
    "new_ts",
    "post_signed_async",
    "sign",
    "signed_headers",
    "slash_command",
    "url_verification",
    "validate_blocks",
    "validate_view",
    "view_submission",
]
