"""SlackChat: recap's neutral replies posted through the Slack Web API (slack_sdk's AsyncWebClient),
and SlackRequester: the person behind a /recap command or a modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import CannotPost, Place, Reply, Sent, TranscriptFile, render

from . import blocks

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncAck, AsyncRespond

# A client for a workspace: one token for a single-workspace app, the installation's with OAuth.
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]

# Slack's answers that mean "not here, whatever you retry", in words for the person who asked.
REFUSALS = {
    "not_in_channel": "I'm not in this channel: invite @recap first (/invite @recap), then ask again.",
    "channel_not_found": "I can't see this channel: invite @recap first (/invite @recap), then ask again.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "restricted_action": "This workspace does not let me post in this channel.",
    "ekm_access_denied": "This workspace's key management does not let me post here.",
}


class SlackChat:
    def __init__(self, client_for: ClientFor) -> None:
        self.client_for = client_for

    async def post(self, place: Place, reply: Reply) -> Sent:
        client = await self.client_for(place.workspace)
        first, *rest = render(reply, blocks)
        with _refusals():
            ts = await _post(client, place.channel, place.thread, first)
        for more in rest:  # a reply too big for one message continues in the same thread
            await _post(client, place.channel, place.thread or ts, more)
        return Sent(place, ts)

    async def update(self, sent: Sent, reply: Reply) -> None:
        client = await self.client_for(sent.place.workspace)
        first, *rest = render(reply, blocks)
        await client.chat_update(channel=sent.place.channel, ts=sent.message_id, **first)
        for more in rest:
            await _post(client, sent.place.channel, sent.place.thread or sent.message_id, more)

    async def delete(self, sent: Sent) -> None:
        client = await self.client_for(sent.place.workspace)
        try:
            await client.chat_delete(channel=sent.place.channel, ts=sent.message_id)
        except SlackApiError as exc:
            # Deleted by someone else, or by an earlier run of a resumed job: gone is what we want.
            if exc.response is None or exc.response.get("error") != "message_not_found":
                raise

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        client = await self.client_for(place.workspace)
        await client.files_upload_v2(
            channel=place.channel,
            thread_ts=place.thread,
            filename=file.filename,
            title=f"Transcript: {file.video.title}",
            content=file.text,
        )

    async def whisper(self, place: Place, user: str, text: str) -> None:
        client = await self.client_for(place.workspace)
        with _refusals():
            await client.chat_postEphemeral(
                channel=place.channel, user=user, thread_ts=place.thread, **blocks.notice_message(text)
            )


def web_client(token: str | None, api_url: str | None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_url or AsyncWebClient.BASE_URL)
    # chat.postMessage and chat.update answer 429 with Retry-After under load: wait and retry.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


def token_chat(token: str, api_url: str | None) -> SlackChat:
    """A SlackChat that posts with one bot token: a worker's, which needs no event connection."""
    client = web_client(token, api_url)

    async def client_for(workspace: str) -> AsyncWebClient:
        return client

    return SlackChat(client_for)


class SlackRequester:
    """Answers the person privately: the command's own acknowledgement first (Slack wants one within
    3 seconds), then its response_url, or an ephemeral message where there is neither (a modal)."""

    def __init__(
        self,
        user: str,
        place: Place,
        chat: SlackChat,
        ack: AsyncAck | None = None,
        respond: AsyncRespond | None = None,
    ) -> None:
        self.user, self.place, self.chat = user, place, chat
        self._ack, self._respond = ack, respond

    async def tell(self, text: str) -> None:
        if self._ack is not None:
            ack, self._ack = self._ack, None
            await ack(response_type="ephemeral", text=text)
        elif self._respond is not None:
            await self._respond(response_type="ephemeral", text=text, unfurl_links=False, unfurl_media=False)
        else:
            await self.chat.whisper(self.place, self.user, text)

    async def open(self, reply: Reply) -> Sent:
        return await self.chat.post(Place(self.place.platform, self.place.workspace, self.place.channel), reply)


async def _post(client: AsyncWebClient, channel: str, thread: str | None, message: dict[str, Any]) -> str:
    """chat.postMessage with link previews off: every timestamp recap writes is a link to the video,
    and Slack would add a preview under each message. (chat.update keeps what the post set.)"""
    response = await client.chat_postMessage(
        channel=channel, thread_ts=thread, unfurl_links=False, unfurl_media=False, **message
    )
    return str(response["ts"])


@contextmanager
def _refusals() -> Iterator[None]:
    """Slack's "you may not post here" errors as CannotPost, with a reason people can act on."""
    try:
        yield
    except SlackApiError as exc:
        error = (exc.response.get("error") if exc.response is not None else None) or ""
        if error in REFUSALS:
            raise CannotPost(REFUSALS[error]) from exc
        raise
