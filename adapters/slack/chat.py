"""SlackChat: recap's neutral replies posted through the Slack Web API (slack_sdk's AsyncWebClient)."""

from __future__ import annotations

from typing import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import Place, Reply, Sent, TranscriptFile, render

from . import blocks

# A client for a workspace: one token for a single-workspace app, the installation's with OAuth.
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


class SlackChat:
    def __init__(self, client_for: ClientFor):
        self.client_for = client_for

    async def post(self, place: Place, reply: Reply) -> Sent:
        client = await self.client_for(place.workspace)
        first, *rest = render(reply, blocks)
        response = await client.chat_postMessage(channel=place.channel, thread_ts=place.thread, **first)
        for more in rest:  # a reply too big for one message continues in the same thread
            await client.chat_postMessage(channel=place.channel, thread_ts=place.thread or response["ts"], **more)
        return Sent(place, response["ts"])

    async def update(self, sent: Sent, reply: Reply) -> None:
        client = await self.client_for(sent.place.workspace)
        first, *rest = render(reply, blocks)
        await client.chat_update(channel=sent.place.channel, ts=sent.message_id, **first)
        for more in rest:
            await client.chat_postMessage(channel=sent.place.channel, thread_ts=sent.place.thread or sent.message_id,
                                          **more)

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        client = await self.client_for(place.workspace)
        await client.files_upload_v2(channel=place.channel, thread_ts=place.thread, filename=file.filename,
                                     title=f"Transcript: {file.video.title}",
                                     content=file.text)
