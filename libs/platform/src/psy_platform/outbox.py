"""Transactional outbox: a state change and its event are written in one transaction.

The relay publishes pending rows with an idempotent producer (acks=all) and marks them sent.
Rows are split into lanes by key; a relay works a lane only while it holds that lane's advisory
lock, so with several replicas one key's events still leave in the order they were written.
"""

import asyncio
import logging
import zlib
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from psy_contracts import CloudEvent, new_event
from psy_contracts.registry import topic_of
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Uuid,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from psy_platform.db import Database

LANES = 16
_LOCK_NAMESPACE = 7_340_001
NOTIFY_CHANNEL = "psy_outbox"
PURGE_EVERY_SECONDS = 3600.0

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("lane", SmallInteger, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Index("ix_outbox_pending", "lane", "id", postgresql_where=text("sent_at IS NULL")),
    )


def lane_of(key: str) -> int:
    return zlib.crc32(key.encode()) % LANES


async def stage(
    session: AsyncSession, outbox: Table, data: BaseModel, subject: object
) -> CloudEvent:
    """Write `data` as an event to the outbox inside the caller's transaction."""
    return (await stage_many(session, outbox, [(data, subject)]))[0]


async def stage_many(
    session: AsyncSession, outbox: Table, items: list[tuple[BaseModel, object]]
) -> list[CloudEvent]:
    """`stage` for many (data, subject) pairs: one executemany and one NOTIFY."""
    events = [new_event(data, str(subject)) for data, subject in items]
    if not events:
        return events
    await session.execute(
        outbox.insert(),
        [
            {
                "event_id": e.id,
                "topic": topic_of(e.type),
                "key": e.subject,
                "lane": lane_of(e.subject),
                "payload": e.to_json(),
            }
            for e in events
        ],
    )
    # Delivered on commit to every relay listening on this database: no polling delay.
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return events


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        outbox: Table,
        bootstrap_servers: str,
        topic_prefix: str = "",
        batch_size: int = 200,
        poll_seconds: float = 0.2,
        keep_sent: timedelta = timedelta(days=1),
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._bootstrap = bootstrap_servers
        self._prefix = topic_prefix
        self._batch = batch_size
        self._poll = poll_seconds
        self._keep_sent = keep_sent
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._in_flight: asyncio.Future[int] | None = None
        self._purged_at = 0.0
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Publish until stop(); survives Kafka and PostgreSQL outages with back-off."""
        backoff = 0.2
        listener = asyncio.create_task(self._listen())
        try:
            while not self._stopping.is_set():
                try:
                    sent = await self._publish_shielded()
                    backoff = 0.2
                except Exception as exc:  # Kafka or PostgreSQL away: rows stay pending
                    log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                    await self._close_producer()
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self._batch:
                    await self._idle()
        finally:
            listener.cancel()

    async def _publish_shielded(self) -> int:
        # Cancelling run() (a shutdown) must not roll back a batch already handed to Kafka:
        # its rows would stay pending and go out a second time. stop() waits for it instead.
        self._in_flight = asyncio.ensure_future(self.publish_batch())
        return await asyncio.shield(self._in_flight)

    async def stop(self, flush_seconds: float = 10.0) -> None:
        """Stop the loop, then publish what is still pending (graceful shutdown)."""
        self._stopping.set()
        self._wake.set()
        deadline = asyncio.get_running_loop().time() + flush_seconds
        if self._in_flight is not None:
            await asyncio.wait([self._in_flight], timeout=flush_seconds)
            if self._in_flight.done() and not self._in_flight.cancelled():
                self._in_flight.exception()  # retrieved: its rows simply stay pending
        try:
            while asyncio.get_running_loop().time() < deadline:
                if await self.publish_batch() == 0:
                    break
        except Exception as exc:
            log.warning("outbox relay: flush on stop failed (%s); rows stay pending", exc)
        await self._close_producer()

    async def publish_batch(self) -> int:
        producer = await self._ensure_producer()
        async with self._db.transaction() as session:
            lanes = (
                (
                    await session.execute(
                        text(
                            "SELECT lane FROM generate_series(0, :n - 1) AS lane "
                            "WHERE pg_try_advisory_xact_lock(:ns, lane)"
                        ),
                        {"n": LANES, "ns": _LOCK_NAMESPACE},
                    )
                )
                .scalars()
                .all()
            )
            if not lanes:
                return 0
            o = self._outbox
            rows = (
                await session.execute(
                    select(o.c.id, o.c.topic, o.c.key, o.c.payload)
                    .where(o.c.sent_at.is_(None), o.c.lane.in_(lanes))
                    .order_by(o.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            futures = [
                await producer.send(
                    self._prefix + row.topic,
                    value=row.payload,
                    key=row.key.encode(),
                    headers=[("content-type", b"application/cloudevents+json")],
                )
                for row in rows
            ]
            await asyncio.gather(*futures)
            await session.execute(
                update(o).where(o.c.id.in_([r.id for r in rows])).values(sent_at=func.now())
            )
            self.published += len(rows)
            return len(rows)

    async def purge_sent(self) -> None:
        cutoff = datetime.now(UTC) - self._keep_sent
        async with self._db.transaction() as session:
            o = self._outbox
            await session.execute(delete(o).where(o.c.sent_at < cutoff))

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                enable_idempotence=True,
                acks="all",
                linger_ms=2,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception as exc:
                log.debug("outbox relay: producer stop: %s", exc)

    async def _idle(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._purged_at > PURGE_EVERY_SECONDS:
            self._purged_at = now
            try:
                await self.purge_sent()
            except Exception as exc:
                log.warning("outbox relay: purge of sent rows failed: %s", exc)
        await self._sleep(self._poll)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _listen(self) -> None:
        """LISTEN for commits that staged events, so the relay wakes at once (best effort)."""
        while not self._stopping.is_set():
            try:
                async with self._db.engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    driver = raw.driver_connection
                    assert driver is not None  # an open asyncpg connection
                    await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                    await self._stopping.wait()
                    return
            except Exception as exc:
                log.debug("outbox relay: listen failed (%s); polling meanwhile", exc)
                await asyncio.sleep(5)
