"""Opening rooms ahead of T-15, so the link burst does not wait on the room provider.

Ten thousand consultations starting in the same minute means ten thousand room requests; made
at T-15 they would be what makes links late. An hour ahead (a setting) nobody is waiting, and
at T-15 the dispatcher only signs links and writes events. The room URL stays in our database:
nobody sees it before joining through the service. A booking made later than that gets its
room from the dispatcher itself. Idempotent by room key, like every room request.
"""

import asyncio
import logging
from datetime import timedelta

from psy_platform.db import Database
from sqlalchemy import bindparam, update

from psy_sessions import store
from psy_sessions.clock import Clock
from psy_sessions.rooms import RoomProvider, open_rooms

log = logging.getLogger(__name__)


class RoomOpener:
    def __init__(
        self,
        db: Database,
        rooms: RoomProvider,
        clock: Clock,
        ahead: timedelta,
        batch_size: int = 100,
        room_concurrency: int = 20,
        poll_seconds: float = 5.0,
    ) -> None:
        self._db = db
        self._rooms = rooms
        self._clock = clock
        self._ahead = ahead
        self._batch = batch_size
        self._slots = asyncio.Semaphore(room_concurrency)
        self._poll = poll_seconds
        self.opened = 0

    async def open_rooms_ahead(self) -> int:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            soon = await store.claim_roomless(tx, now, now + self._ahead, self._batch)
            if not soon:
                return 0
            rooms = await open_rooms(self._rooms, soon, self._slots)
            if rooms:
                s = store.sessions
                await tx.execute(
                    update(s)
                    .where(s.c.booking_id == bindparam("b_id"))
                    .values(room_id=bindparam("r_id"), room_url=bindparam("r_url")),
                    [
                        {"b_id": b, "r_id": room.room_id, "r_url": room.room_url}
                        for b, room in rooms.items()
                    ],
                )
        self.opened += len(rooms)
        return len(rooms)

    async def run(self) -> None:
        while True:
            try:
                done = await self.open_rooms_ahead()
            except Exception as exc:
                log.warning("room opener: batch failed, retrying: %r", exc)
                done = 0
            if done < self._batch:
                await asyncio.sleep(self._poll)
