"""Сферум rooms simulator (local stack only).

`POST /sferum/rooms {booking_key}` opens a room, idempotently: the same key always gets the same
room, as the sessions dispatcher relies on. `GET /sferum/rooms/{room_id}` is the room page with
«Присоединиться через браузер»: it works when opened directly, and tells the sessions service
nothing — which is exactly why joining around the service counts as «пропуск консультации».
Visits are kept in memory so tests can see that someone used the raw room URL.
"""

import html
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel


@dataclass
class SimRoom:
    room_id: str
    booking_key: str
    created_at: datetime
    visits: list[datetime] = field(default_factory=list)


@dataclass
class RoomRegistry:
    by_key: dict[str, SimRoom] = field(default_factory=dict)
    by_id: dict[str, SimRoom] = field(default_factory=dict)
    created: int = 0  # rooms actually created (not idempotent repeats)

    def open(self, booking_key: str) -> SimRoom:
        room = self.by_key.get(booking_key)
        if room is None:
            room = SimRoom(uuid.uuid4().hex, booking_key, datetime.now(UTC))
            self.by_key[booking_key] = room
            self.by_id[room.room_id] = room
            self.created += 1
        return room


class RoomRequest(BaseModel):
    booking_key: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class RoomOut(BaseModel):
    room_id: str
    room_url: str


def build_router(rooms: RoomRegistry) -> APIRouter:
    router = APIRouter()

    @router.post("/rooms", response_model=RoomOut)
    async def open_room(body: RoomRequest, request: Request) -> RoomOut:
        room = rooms.open(body.booking_key)
        return RoomOut(
            room_id=room.room_id,
            room_url=str(request.url_for("room_page", room_id=room.room_id)),
        )

    @router.get("/rooms/{room_id}", response_class=HTMLResponse, name="room_page")
    async def room_page(room_id: str) -> HTMLResponse:
        room = rooms.by_id.get(room_id)
        if room is None:
            raise HTTPException(404)
        room.visits.append(datetime.now(UTC))
        return HTMLResponse(
            f"""<!doctype html><html lang="ru"><head><meta charset="utf-8">
<title>Сферум — видеовстреча</title></head>
<body style="font-family: sans-serif; text-align: center; margin-top: 4em">
<h1>Сферум</h1><p>Видеовстреча {html.escape(room.room_id[:8])}</p>
<button type="button">Присоединиться через браузер</button>
<p><small>Симулятор для разработки: комната ничего не сообщает сервису.</small></p>
</body></html>"""
        )

    @router.get("/rooms/{room_id}/visits")
    async def room_visits(room_id: str) -> dict[str, object]:
        room = rooms.by_id.get(room_id)
        if room is None:
            raise HTTPException(404)
        return {"room_id": room_id, "visits": [v.isoformat() for v in room.visits]}

    return router


registry = RoomRegistry()
router = build_router(registry)
