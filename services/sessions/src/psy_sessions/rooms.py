"""The room provider (Сферум) behind an interface; the dispatcher only knows `RoomProvider`."""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from psy_sessions.domain import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Room:
    room_id: str
    room_url: str


class RoomUnavailable(Exception):
    """The provider did not give a room now; the dispatcher retries the booking later."""


class RoomProvider(Protocol):
    async def open_room(self, room_key: str, starts_at: datetime, ends_at: datetime) -> Room:
        """The room for `room_key`; asking again with the same key returns the same room."""
        ...


class SferumRooms:
    """Сферум over HTTP: POST {base}/rooms {booking_key} → {room_id, room_url}.

    Idempotent by `booking_key`, which is what makes a crash between creating the room and
    committing the dispatch harmless: the retry gets the same room.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def open_room(self, room_key: str, starts_at: datetime, ends_at: datetime) -> Room:
        try:
            response = await self._client.post(
                "/rooms",
                json={
                    "booking_key": room_key,
                    "starts_at": starts_at.isoformat(),
                    "ends_at": ends_at.isoformat(),
                },
            )
            response.raise_for_status()
            body = response.json()
            return Room(room_id=str(body["room_id"]), room_url=str(body["room_url"]))
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise RoomUnavailable(f"sferum: {type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        await self._client.aclose()


async def open_rooms(
    provider: RoomProvider, sessions: list[Session], slots: asyncio.Semaphore
) -> dict[uuid.UUID, Room]:
    """Rooms for these sessions, `slots` requests at a time; a failed one is simply absent."""

    async def one(session: Session) -> tuple[uuid.UUID, Room | None]:
        async with slots:
            try:
                room = await provider.open_room(
                    session.room_key, session.starts_at, session.ends_at
                )
            except RoomUnavailable as exc:
                log.warning("room for booking %s not opened: %s", session.booking_id, exc)
                return session.booking_id, None
            return session.booking_id, room

    results = await asyncio.gather(*(one(s) for s in sessions))
    return {booking_id: room for booking_id, room in results if room is not None}
