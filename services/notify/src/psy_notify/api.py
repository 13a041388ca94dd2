"""The inbox «Сообщения»: every route serves the caller's own messages only."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from psy_platform.auth import CurrentUser
from psy_platform.db import Database
from psy_platform.errors import ApiError
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from psy_notify import live, store


async def _db(request: Request) -> Database:
    return request.app.state.runtime.db  # type: ignore[no-any-return]


Db = Annotated[Database, Depends(_db)]
Page = Annotated[int, Query(ge=1, le=10_000, description="From 1; newest messages first")]


class InboxItem(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    created_at: datetime
    read: bool
    booking_id: uuid.UUID | None


class InboxPage(BaseModel):
    items: list[InboxItem]
    unread: int


class Marked(BaseModel):
    marked: int


router = APIRouter(tags=["inbox"])


@router.get("/inbox")
async def list_inbox(user: CurrentUser, db: Db, request: Request, page: Page = 1) -> InboxPage:
    size = request.app.state.inbox_page_size
    async with db.transaction() as session:
        items, unread = await store.inbox_page(session, user.id, page, size)
    return InboxPage(items=[InboxItem.model_validate(i) for i in items], unread=unread)


@router.post("/inbox/read-all")
async def read_all(user: CurrentUser, db: Db) -> Marked:
    async with db.transaction() as session:
        return Marked(marked=await store.mark_all_read(session, user.id))


@router.post("/inbox/{message_id}/read", status_code=204)
async def read_one(message_id: uuid.UUID, user: CurrentUser, db: Db) -> None:
    async with db.transaction() as session:
        if not await store.mark_read(session, user.id, message_id):
            raise ApiError(404, "not_found", "Сообщение не найдено.")


@router.get("/inbox/stream", response_class=EventSourceResponse)
async def stream(user: CurrentUser, request: Request) -> EventSourceResponse:
    """SSE: `event: message`, data = the new inbox item (JSON), as soon as it is committed."""
    redis = request.app.state.runtime.redis
    if redis is None:
        raise ApiError(503, "live_updates_unavailable", "Обновления временно недоступны.")

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for item in live.updates(redis, user.id):
            if item is None:
                yield ServerSentEvent(event="ready", data="{}")
            else:
                yield ServerSentEvent(event="message", data=item)

    return EventSourceResponse(events(), ping=15)
