"""The outbox on real PostgreSQL and Apache Kafka."""

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaProducer
from psy_contracts import topics
from psy_contracts.events.booking import BookingCompleted
from psy_platform.outbox import OutboxRelay, stage
from sqlalchemy import select

from tests.integration.platform.conftest import OUTBOX
from tests.support.infra import load_stack
from tests.support.kafka import create_topics, read_topic


async def stage_events(db, keys: list[uuid.UUID], per_key: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Stage `per_key` events for each key, one transaction each; returns the event ids in order."""
    ids = []
    for _ in range(per_key):
        for key in keys:
            async with db.transaction() as session:
                event = await stage(session, OUTBOX, BookingCompleted(booking_id=key), key)
                ids.append(str(event.id))
    return ids


def relay(db, infra, prefix: str) -> OutboxRelay:  # type: ignore[no-untyped-def]
    return OutboxRelay(db, OUTBOX, infra.kafka, topic_prefix=prefix, batch_size=50)


def assert_in_order_per_key(received, staged_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    position = {event_id: i for i, event_id in enumerate(staged_ids)}
    by_key: dict[str, list[int]] = defaultdict(list)
    for message in received:
        event = json.loads(message.value)
        by_key[message.key].append(position[event["id"]])
    for key, order in by_key.items():
        assert order == sorted(order), f"events of {key} arrived out of order"


async def test_aiokafka_idempotent_producer_works_with_this_kafka(infra, topic_prefix) -> None:
    topic = topic_prefix + "probe"
    await create_topics(infra.kafka, topic)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sent = [await (await producer.send(topic, f"m{i}".encode(), key=b"k")) for i in range(5)]
    finally:
        await producer.stop()
    assert [m.offset for m in sent] == sorted(m.offset for m in sent)
    received = await read_topic(infra.kafka, topic, expect=5)
    assert [r.value for r in received] == [f"m{i}".encode() for i in range(5)]


@pytest.mark.slow
async def test_events_written_while_kafka_is_down_go_out_once_after_it_returns(
    db, infra, topic_prefix
) -> None:
    if not infra.local_stack:
        pytest.skip("needs the local stack's Kafka, which this run may stop and start")
    kafka = load_stack().kafka_proc()
    topic = topic_prefix + topics.BOOKING
    keys = [uuid.uuid4() for _ in range(3)]
    publisher = relay(db, infra, topic_prefix)
    kafka.stop()
    try:
        task = asyncio.create_task(publisher.run())
        # Writes succeed with the broker away; the relay keeps backing off.
        staged = await stage_events(db, keys, per_key=4)
        await asyncio.sleep(0)  # let the relay try (and fail) at least once
    finally:
        kafka.start()
    try:
        received = await read_topic(infra.kafka, topic, expect=12, timeout=90, settle=2)
    finally:
        await publisher.stop()
        task.cancel()
    ids = [json.loads(r.value)["id"] for r in received]
    assert sorted(ids) == sorted(staged), "every staged event arrives exactly once"
    assert {r.key for r in received} == {str(k) for k in keys}
    assert_in_order_per_key(received, staged)


async def test_two_relays_publish_every_row_exactly_once(db, infra, topic_prefix) -> None:
    topic = topic_prefix + topics.BOOKING
    await create_topics(infra.kafka, topic, partitions=6)
    keys = [uuid.uuid4() for _ in range(40)]
    staged = await stage_events(db, keys, per_key=10)
    first, second = relay(db, infra, topic_prefix), relay(db, infra, topic_prefix)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        received = await read_topic(infra.kafka, topic, expect=len(staged), timeout=60, settle=2)
    finally:
        for r in (first, second):
            await r.stop()
        for t in tasks:
            t.cancel()
    ids = [json.loads(r.value)["id"] for r in received]
    assert len(ids) == len(staged) == len(set(ids))
    assert set(ids) == set(staged)
    assert first.published > 0 or second.published > 0
    assert first.published + second.published == len(staged)
    assert_in_order_per_key(received, staged)


async def test_stop_flushes_what_is_pending(db, infra, topic_prefix) -> None:
    topic = topic_prefix + topics.BOOKING
    await create_topics(infra.kafka, topic)
    publisher = relay(db, infra, topic_prefix)
    staged = await stage_events(db, [uuid.uuid4()], per_key=30)
    await publisher.stop()  # never ran: stop alone must flush
    received = await read_topic(infra.kafka, topic, expect=30)
    assert sorted(json.loads(r.value)["id"] for r in received) == sorted(staged)


async def test_a_shutdown_in_the_middle_of_a_batch_sends_nothing_twice(
    db, infra, topic_prefix, monkeypatch
) -> None:
    """The runtime cancels the relay's loop on SIGTERM, then flushes: a batch already handed to
    Kafka must still be marked sent, or the flush publishes it a second time."""
    topic = topic_prefix + topics.BOOKING
    await create_topics(infra.kafka, topic)
    staged = await stage_events(db, [uuid.uuid4() for _ in range(40)], per_key=5)
    in_kafka_not_committed, go_on = asyncio.Event(), asyncio.Event()
    transaction = db.transaction

    @contextlib.asynccontextmanager
    async def held_before_commit():  # type: ignore[no-untyped-def]
        async with transaction() as session:
            yield session
            if not in_kafka_not_committed.is_set():
                in_kafka_not_committed.set()
                await go_on.wait()  # the SIGTERM lands here

    monkeypatch.setattr(db, "transaction", held_before_commit)
    publisher = OutboxRelay(db, OUTBOX, infra.kafka, topic_prefix=topic_prefix, batch_size=50)
    task = asyncio.create_task(publisher.run())
    await in_kafka_not_committed.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    go_on.set()
    await publisher.stop()
    received = await read_topic(infra.kafka, topic, expect=len(staged), timeout=60, settle=2)
    ids = [json.loads(r.value)["id"] for r in received]
    assert sorted(ids) == sorted(staged), "every event once, none twice"


async def test_sent_rows_are_purged_after_the_retention_and_pending_ones_kept(
    db, infra, topic_prefix
) -> None:
    await create_topics(infra.kafka, topic_prefix + topics.BOOKING)
    await stage_events(db, [uuid.uuid4()], per_key=5)
    publisher = OutboxRelay(
        db, OUTBOX, infra.kafka, topic_prefix=topic_prefix, keep_sent=timedelta(0)
    )
    assert await publisher.publish_batch() == 5
    await stage_events(db, [uuid.uuid4()], per_key=2)  # pending: never purged
    await publisher.purge_sent()
    async with db.transaction() as session:
        left = (await session.execute(select(OUTBOX.c.sent_at))).scalars().all()
    await publisher.stop()
    assert left == [None, None]
