"""SlackChat: recap's neutral replies posted through the Slack Web API (slack_sdk's AsyncWebClient)."""

from __future__ import annotations

from typing import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import (AnswerReply, DigestReply, FullDigestReply, Notice, Place, ProgressNote, Reply, Sent,
                      TranscriptFile)

from . import blocks

# A client for a workspace: one token for a single-workspace app, the installation's with OAuth.
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


def messages_for(reply: Reply) -> list[dict]:
    if isinstance(reply, DigestReply):
        return blocks.digest_messages(reply.digest)
    if isinstance(reply, FullDigestReply):
        return blocks.full_digest_messages(reply.digest)
    if isinstance(reply, AnswerReply):
        return blocks.answer_messages(reply.answer, show_question=reply.show_question)
    if isinstance(reply, ProgressNote):
        return [blocks.progress_message(reply.text)]
    if isinstance(reply, Notice):
        return [blocks.notice_message(reply.text)]
    raise TypeError(f"no Slack rendering for {type(reply).__name__}")


class SlackChat:
    def __init__(self, client_for: ClientFor):
        self.client_for = client_for

    async def post(self, place: Place, reply: Reply) -> Sent:
        client = await self.client_for(place.workspace)
        first, *rest = messages_for(reply)
        response = await client.chat_postMessage(channel=place.channel, thread_ts=place.thread, **first)
        for more in rest:  # a reply too big for one message continues in the same thread
            await client.chat_postMessage(channel=place.channel, thread_ts=place.thread or response["ts"], **more)
        return Sent(place, response["ts"])

    async def update(self, sent: Sent, reply: Reply) -> None:
        client = await self.client_for(sent.place.workspace)
        first, *rest = messages_for(reply)
        await client.chat_update(channel=sent.place.channel, ts=sent.message_id, **first)
        for more in rest:
            await client.chat_postMessage(channel=sent.place.channel, thread_ts=sent.place.thread or sent.message_id,
                                          **more)

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        client = await self.client_for(place.workspace)
        await client.files_upload_v2(channel=place.channel, thread_ts=place.thread, filename=file.filename,
                                     title=f"Transcript: {file.video.title}",
                                     content=file.text)
