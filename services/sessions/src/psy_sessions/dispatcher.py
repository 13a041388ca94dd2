"""T-15: create the room and send every participant their own join link, exactly once.

Durable in PostgreSQL: a row is due while `dispatch_at <= now` and it is not dispatched, so a
booking made later than T-15 is due at once and rows missed during downtime are still due when
the service returns. Several replicas claim rows with FOR UPDATE SKIP LOCKED; the row is marked
dispatched and session.link_dispatched is staged in the same transaction, so an event leaves
for exactly the rows whose transaction committed.

Rooms are created while the rows are locked but outside any transactional guarantee; the
provider is idempotent by room key, so a dispatcher that dies between creating a room and
committing leaves the row due, and whoever takes it next gets the same room (and, since links
are deterministic, the same links).

In person there is no room and no link: the row is still dispatched at T-15 and
session.link_dispatched is staged with an empty `recipients` list. That is notify's signal to
send the in-person reminder (with the place, which notify has from booking.created) to the
booking's participants.
"""

import asyncio
import logging
import uuid
from datetime import datetime

from psy_contracts.events.sessions import LinkDispatched, Recipient
from psy_platform.db import Database
from psy_platform.outbox import stage_many
from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from psy_sessions import store
from psy_sessions.clock import Clock
from psy_sessions.domain import Session
from psy_sessions.links import JoinLinks
from psy_sessions.rooms import Room, RoomProvider, open_rooms

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        rooms: RoomProvider,
        links: JoinLinks,
        clock: Clock,
        batch_size: int = 100,
        room_concurrency: int = 20,
        poll_seconds: float = 1.0,
    ) -> None:
        self._db = db
        self._rooms = rooms
        self._links = links
        self._clock = clock
        self._batch = batch_size
        self._room_slots = asyncio.Semaphore(room_concurrency)
        self._poll = poll_seconds
        self.dispatched = 0

    async def dispatch_due_links(self) -> int:
        """One batch: claim due rows, open rooms, mark dispatched and stage the links."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            due = await store.claim_due(tx, now, self._batch)
            if not due:
                return 0
            # Rooms are normally opened ahead (RoomOpener); open here what is still missing,
            # e.g. for a booking made minutes before the start.
            rooms = {
                s.booking_id: Room(s.room_id, s.room_url)
                for s in due
                if s.room_id is not None and s.room_url is not None
            }
            rooms |= await open_rooms(
                self._rooms,
                [s for s in due if s.online and s.booking_id not in rooms],
                self._room_slots,
            )
            ready = [s for s in due if not s.online or s.booking_id in rooms]
            # Provider failures stay due and are retried next round.
            if ready:
                await self._mark_dispatched(tx, ready, rooms, now)
        self.dispatched += len(ready)
        return len(ready)

    async def _mark_dispatched(
        self,
        tx: AsyncSession,
        ready: list[Session],
        rooms: dict[uuid.UUID, Room],
        now: datetime,
    ) -> None:
        """One UPDATE and one outbox INSERT for the whole batch (executemany): at a burst of
        thousands per minute, per-row round trips are what would make links late."""
        marks, events = [], []
        for session in ready:
            room = rooms.get(session.booking_id)
            marks.append(
                {
                    "b_id": session.booking_id,
                    "d_at": now,
                    "r_id": room.room_id if room else None,
                    "r_url": room.room_url if room else None,
                }
            )
            recipients = (
                [
                    Recipient(account_id=p, join_url=self._links.issue(session, p))
                    for p in session.participants
                ]
                if room is not None
                else []
            )
            events.append(
                LinkDispatched(
                    booking_id=session.booking_id,
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    recipients=recipients,
                )
            )
        s = store.sessions
        await tx.execute(
            update(s)
            .where(s.c.booking_id == bindparam("b_id"))
            .values(
                dispatched_at=bindparam("d_at"),
                room_id=bindparam("r_id"),
                room_url=bindparam("r_url"),
            ),
            marks,
        )
        await stage_many(tx, store.outbox, [(e, e.booking_id) for e in events])

    async def run(self) -> None:
        """Dispatch until cancelled; a full batch means more may be due, so go again at once."""
        backoff = self._poll
        while True:
            try:
                done = await self.dispatch_due_links()
                backoff = self._poll
            except Exception as exc:
                log.warning("dispatcher: batch failed, retrying: %r", exc)
                done = 0
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            if done < self._batch:
                await asyncio.sleep(self._poll)
