"""Several dispatchers on one schedule: every due session dispatched exactly once, even when a
dispatcher dies in the middle of a batch."""

import asyncio
import json
import uuid
from collections import Counter
from datetime import datetime, timedelta

from psy_contracts import topics
from psy_platform.db import Database
from psy_platform.migrations import migrate
from psy_platform.outbox import OutboxRelay
from psy_sessions import store
from psy_sessions.__main__ import MIGRATIONS
from psy_sessions.dispatcher import Dispatcher
from psy_sessions.links import JoinLinks
from psy_sessions.rooms import Room, SferumRooms
from sqlalchemy import func, select

from tests.integration.sessions.conftest import FakeClock, start_of_next_hour
from tests.support.kafka import create_topics, read_topic, wait_until


async def schedule_due(db: Database, count: int, starts: datetime) -> list[uuid.UUID]:
    """`count` video sessions starting in the same minute (rows as booking.created makes them)."""
    rows = [
        {
            "booking_id": uuid.uuid4(),
            "psychologist_id": uuid.uuid4(),
            "booked_by": (parent := uuid.uuid4()),
            "participant_id": parent,
            "participant_kind": "self",
            "format": "video",
            "starts_at": starts + timedelta(seconds=i % 60),
            "ends_at": starts + timedelta(minutes=50),
            "dispatch_at": starts - timedelta(minutes=15) + timedelta(seconds=i % 60),
        }
        for i in range(count)
    ]
    async with db.transaction() as tx:
        await tx.execute(store.sessions.insert(), rows)
    return [r["booking_id"] for r in rows]  # type: ignore[misc]


def dispatcher(db: Database, rooms, clock) -> Dispatcher:  # type: ignore[no-untyped-def]
    links = JoinLinks("test-secret", "http://sessions.test")
    return Dispatcher(db, rooms, links, clock, batch_size=100, poll_seconds=0.05)


async def dispatched_count(db: Database) -> int:
    async with db.transaction() as tx:
        return int(
            await tx.scalar(
                select(func.count())
                .select_from(store.sessions)
                .where(store.sessions.c.dispatched_at.is_not(None))
            )
            or 0
        )


async def fresh_db(new_database) -> str:  # type: ignore[no-untyped-def]
    url = await new_database("sessions")
    await asyncio.to_thread(migrate, url, MIGRATIONS)
    return url


async def test_two_dispatchers_and_1000_sessions_due_in_one_minute_dispatch_each_once(
    new_database, infra, topic_prefix, sferum
) -> None:
    url = await fresh_db(new_database)
    links_topic = topic_prefix + topics.SESSION_LINKS
    await create_topics(infra.kafka, links_topic, partitions=6)
    starts = start_of_next_hour()
    clock = FakeClock(starts - timedelta(minutes=14))  # the whole minute is due
    replicas = [Database(url), Database(url)]
    booking_ids = await schedule_due(replicas[0], 1000, starts)
    rooms = SferumRooms(sferum.url)
    dispatchers = [dispatcher(db, rooms, clock) for db in replicas]
    relay = OutboxRelay(replicas[0], store.outbox, infra.kafka, topic_prefix=topic_prefix)
    tasks = [asyncio.create_task(d.run()) for d in dispatchers]
    tasks.append(asyncio.create_task(relay.run()))
    try:
        received = await read_topic(infra.kafka, links_topic, expect=1000, timeout=120, settle=3)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await relay.stop()
        await rooms.close()
        for db in replicas:
            await db.close()
    per_booking = Counter(m.key for m in received)
    assert set(per_booking) == {str(b) for b in booking_ids}
    assert set(per_booking.values()) == {1}, "every session exactly once"
    assert all(d.dispatched > 0 for d in dispatchers), "both replicas took a share"
    assert sum(d.dispatched for d in dispatchers) == 1000
    assert sferum.rooms.created == 1000


class DiesMidBatch:
    """A room provider through which a dispatcher gets a few rooms, then hangs until killed."""

    def __init__(self, inner: SferumRooms, rooms_before_dying: int) -> None:
        self._inner = inner
        self._left = rooms_before_dying
        self.opened = 0

    async def open_room(self, room_key: str, starts_at, ends_at) -> Room:  # type: ignore[no-untyped-def]
        if self._left <= 0:
            await asyncio.Event().wait()
        self._left -= 1
        room = await self._inner.open_room(room_key, starts_at, ends_at)
        self.opened += 1
        return room


async def test_a_dispatcher_killed_mid_batch_loses_and_duplicates_nothing(
    new_database, infra, topic_prefix, sferum
) -> None:
    url = await fresh_db(new_database)
    links_topic = topic_prefix + topics.SESSION_LINKS
    await create_topics(infra.kafka, links_topic)
    starts = start_of_next_hour()
    clock = FakeClock(starts - timedelta(minutes=14))
    doomed_db, survivor_db = Database(url), Database(url)
    booking_ids = await schedule_due(survivor_db, 250, starts)
    rooms = SferumRooms(sferum.url)
    dying = DiesMidBatch(rooms, rooms_before_dying=30)
    doomed = asyncio.create_task(dispatcher(doomed_db, dying, clock).run())
    await wait_until(lambda: dying.opened >= 30)
    doomed.cancel()  # killed while holding a locked batch whose rooms partly exist
    await asyncio.gather(doomed, return_exceptions=True)
    await doomed_db.close()  # its connections go away, as with a dead process
    assert await dispatched_count(survivor_db) == 0, "nothing of the dead batch committed"
    rooms_of_dead_batch = dict(sferum.rooms.by_key)

    restarted = dispatcher(survivor_db, rooms, clock)
    relay = OutboxRelay(survivor_db, store.outbox, infra.kafka, topic_prefix=topic_prefix)
    tasks = [asyncio.create_task(restarted.run()), asyncio.create_task(relay.run())]
    try:
        received = await read_topic(infra.kafka, links_topic, expect=250, timeout=90, settle=2)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await relay.stop()
        await rooms.close()
        await survivor_db.close()
    assert Counter(m.key for m in received) == Counter(str(b) for b in booking_ids)
    assert sferum.rooms.created == 250, "rooms opened before the crash were reused, not doubled"
    for key, room in rooms_of_dead_batch.items():
        assert sferum.rooms.by_key[key] is room
    event_ids = [json.loads(m.value)["id"] for m in received]
    assert len(set(event_ids)) == 250
