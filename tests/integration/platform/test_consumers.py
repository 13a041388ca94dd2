"""Idempotent consumers and the dead-letter topic on real Kafka and PostgreSQL."""

import asyncio
import uuid

from faststream.kafka import KafkaBroker
from psy_contracts import CloudEvent, new_event, topics
from psy_contracts.events.booking import BookingCompleted
from psy_contracts.topics import dead_letter
from psy_platform.consumers import EventConsumers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.platform.conftest import EFFECTS, PROCESSED
from tests.support.kafka import create_topics, read_topic, wait_until

GROUP = "test-consumer"


async def start_consumer(db, infra, prefix: str) -> tuple[KafkaBroker, EventConsumers]:  # type: ignore[no-untyped-def]
    broker = KafkaBroker(infra.kafka)
    consumers = EventConsumers(broker, db, PROCESSED, topic_prefix=prefix, retry_delay=0.01)

    async def record(session: AsyncSession, event: CloudEvent) -> None:
        if event.data.get("booking_id") == str(POISON):
            raise RuntimeError("this booking can never be handled")
        await session.execute(EFFECTS.insert().values(event_id=event.id, note=event.subject))

    consumers.subscribe(topics.BOOKING, GROUP, record)
    await broker.start()
    return broker, consumers


POISON = uuid.uuid4()


async def effects(db) -> list[str]:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return list(
            (await session.execute(select(EFFECTS.c.note).order_by(EFFECTS.c.note))).scalars()
        )


async def test_a_redelivered_event_has_one_effect(db, infra, topic_prefix) -> None:
    topic = topic_prefix + topics.BOOKING
    await create_topics(infra.kafka, topic, topic_prefix + dead_letter(topics.BOOKING, GROUP))
    event = new_event(BookingCompleted(booking_id=uuid.uuid4()), "b-1")
    later = new_event(BookingCompleted(booking_id=uuid.uuid4()), "b-2")
    broker, consumers = await start_consumer(db, infra, topic_prefix)
    try:
        for e in (event, event, later):  # the first one twice, as Kafka may redeliver
            await broker.publish(e.to_json(), topic=topic, key=e.subject.encode())
        await wait_until(lambda: consumers.handled >= 3)
    finally:
        await broker.stop()
    assert await effects(db) == ["b-1", "b-2"]
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(PROCESSED)) == 2


async def test_poison_messages_go_to_the_dlq_and_the_next_one_is_processed(
    db, infra, topic_prefix
) -> None:
    topic = topic_prefix + topics.BOOKING
    dlq = topic_prefix + dead_letter(topics.BOOKING, GROUP)
    await create_topics(infra.kafka, topic, dlq)
    failing = new_event(BookingCompleted(booking_id=POISON), "b-poison")
    good = new_event(BookingCompleted(booking_id=uuid.uuid4()), "b-good")
    broker, consumers = await start_consumer(db, infra, topic_prefix)
    try:
        await broker.publish(b"{not json", topic=topic, key=b"b-garbage")
        await broker.publish(failing.to_json(), topic=topic, key=b"b-poison")
        await broker.publish(good.to_json(), topic=topic, key=b"b-good")
        await wait_until(lambda: consumers.handled >= 1 and consumers.dead_lettered >= 2)
    finally:
        await broker.stop()
    assert await effects(db) == ["b-good"]
    dead = await read_topic(infra.kafka, dlq, expect=2)
    by_key = {d.key: d for d in dead}
    assert set(by_key) == {"b-garbage", "b-poison"}
    assert by_key["b-garbage"].value == b"{not json"
    assert by_key["b-garbage"].headers["x-attempts"] == "0"
    assert by_key["b-poison"].headers["x-error"] == "this booking can never be handled"
    assert by_key["b-poison"].headers["x-attempts"] == "3"
    assert by_key["b-poison"].headers["x-original-topic"] == topic
    assert by_key["b-poison"].headers["x-consumer-group"] == GROUP


async def test_a_consumer_restarted_after_a_crash_resumes_without_loss(
    db, infra, topic_prefix
) -> None:
    """Offsets are committed only after the effect: a new consumer in the same group picks up."""
    topic = topic_prefix + topics.BOOKING
    await create_topics(infra.kafka, topic)
    broker, consumers = await start_consumer(db, infra, topic_prefix)
    first = new_event(BookingCompleted(booking_id=uuid.uuid4()), "b-a")
    await broker.publish(first.to_json(), topic=topic, key=b"b-a")
    await wait_until(lambda: consumers.handled >= 1)
    await broker.stop()
    producer = KafkaBroker(infra.kafka)
    await producer.start()
    second = new_event(BookingCompleted(booking_id=uuid.uuid4()), "b-b")
    await producer.publish(second.to_json(), topic=topic, key=b"b-b")
    await producer.stop()
    broker, consumers = await start_consumer(db, infra, topic_prefix)
    try:
        await wait_until(lambda: consumers.handled >= 1)
        await asyncio.sleep(0)
    finally:
        await broker.stop()
    assert await effects(db) == ["b-a", "b-b"]
